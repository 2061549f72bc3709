import type { Services } from '../services.js';
import { endSession } from './end-session.js';
import { removeDevice } from './remove-device.js';
import type { User } from './users.js';

type Deps = Pick<Services, 'provider' | 'store' | 'sessions' | 'logger' | 'devices' | 'passkeys' | 'users' | 'consents'>;
type Actor = { accountId?: string; ip?: string };

/** Disabling a user ends their sessions and removes their devices; they can be re-invited later. */
export async function disableUser(deps: Deps, user: User, actor: Actor = {}): Promise<void> {
  await deps.users.setDisabled(user, true);
  await signOutEverywhere(deps, user, actor, 'user_disabled');
  deps.logger.info({ event: 'user.disabled', accountId: user.id, byAccount: actor.accountId, ip: actor.ip }, 'user.disabled');
}

export async function enableUser(deps: Deps, user: User, actor: Actor = {}): Promise<void> {
  await deps.users.setDisabled(user, false);
  deps.logger.info({ event: 'user.enabled', accountId: user.id, byAccount: actor.accountId, ip: actor.ip }, 'user.enabled');
}

/** Removing a user does all of disabling, then deletes the account itself. */
export async function removeUser(deps: Deps, user: User, actor: Actor = {}): Promise<void> {
  await deps.users.setDisabled(user, true);
  await signOutEverywhere(deps, user, actor, 'user_removed');
  await deps.consents.forgetAll(user.id);
  await deps.users.delete(user);
  deps.logger.info({ event: 'user.removed', accountId: user.id, byAccount: actor.accountId, ip: actor.ip }, 'user.removed');
}

async function signOutEverywhere(deps: Deps, user: User, actor: Actor, reason: 'user_disabled' | 'user_removed'): Promise<void> {
  for (const uid of await deps.sessions.ofAccount(user.id)) await endSession(deps, { uid, accountId: user.id }, reason, actor);
  for (const device of await deps.devices.listForUser(user.id)) await removeDevice(deps, device, actor, reason);
}
