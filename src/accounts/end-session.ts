import { revokeGrantTokens } from '../adapters/oidc-adapter.js';
import type { Services } from '../services.js';

export type EndReason = 'user' | 'user_all' | 'not_me' | 'device_removed' | 'user_disabled' | 'user_removed' | 'replaced';

/**
 * Ends a qrid browser session completely: back-channel logout to every relying party that
 * registered for it, every grant's tokens revoked, oidc-provider's session destroyed, qrid's
 * record of it gone. `target.accountId` is the account whose session list holds it. Safe to
 * call for a session that no longer exists.
 */
export async function endSession(
  services: Pick<Services, 'provider' | 'store' | 'sessions' | 'logger'>,
  target: { uid: string; accountId: string },
  reason: EndReason,
  actor: { accountId?: string; deviceId?: string; ip?: string } = {},
): Promise<boolean> {
  const { provider, store, sessions, logger } = services;
  const { uid } = target;
  // A sign-in with no browser session (a CIBA request approved on the phone): its grant is it.
  const grantId = grantOfRecord(uid);
  if (grantId) {
    const record = await sessions.find(uid, target.accountId);
    await revokeGrantTokens(store, grantId);
    await sessions.remove(uid, target.accountId);
    if (record) logger.info({ event: 'session.ended', reason, sessionUid: uid, accountId: target.accountId, approvedByDevice: record.deviceId, byAccount: actor.accountId, byDevice: actor.deviceId, ip: actor.ip }, 'session.ended');
    return Boolean(record);
  }
  const session = await provider.Session.findByUid(uid);
  const record = await sessions.find(uid, target.accountId);
  const accountId = session?.accountId ?? target.accountId;
  const clients: string[] = [];
  if (session?.accountId) {
    const notified: Array<Promise<void>> = [];
    for (const [clientId, authorization] of Object.entries(session.authorizations ?? {})) {
      clients.push(clientId);
      const client = (await provider.Client.find(clientId)) as
        | { backchannelLogoutUri?: string; backchannelLogout(sub: string, sid: string): Promise<void> }
        | undefined;
      if (client?.backchannelLogoutUri) {
        notified.push(
          client.backchannelLogout(session.accountId, authorization.sid as string).then(
            () => logger.info({ event: 'backchannel.sent', clientId, sessionUid: uid }, 'backchannel.sent'),
            (error: unknown) => logger.warn({ event: 'backchannel.failed', clientId, sessionUid: uid, err: error }, 'backchannel.failed'),
          ),
        );
      }
      if (authorization.grantId) await revokeGrantTokens(store, authorization.grantId);
    }
    await Promise.all(notified);
    await session.destroy();
  }
  await sessions.remove(uid, target.accountId);
  if (accountId !== target.accountId) await sessions.remove(uid, accountId);
  if (!session && !record) return false;
  logger.info(
    {
      event: 'session.ended',
      reason,
      sessionUid: uid,
      accountId,
      approvedByDevice: record?.deviceId,
      clientIds: clients,
      byAccount: actor.accountId,
      byDevice: actor.deviceId,
      ip: actor.ip,
    },
    'session.ended',
  );
  return true;
}

/** Session records of sign-ins without a browser session are named `grant:<grant id>`. */
export const grantRecordUid = (grantId: string) => `grant:${grantId}`;
export function grantOfRecord(uid: string): string | undefined {
  return uid.startsWith('grant:') ? uid.slice('grant:'.length) : undefined;
}
