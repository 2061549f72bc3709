import { Enrollments } from '../accounts/enrollments.js';
import { disableUser, enableUser, removeUser } from '../accounts/user-lifecycle.js';
import { compose } from '../compose.js';
import { createLogger } from '../logging/logger.js';
import { Metrics } from '../observability/metrics.js';
import { Users } from '../accounts/users.js';
import type { Config } from '../config/schema.js';
import { QridError } from '../errors/qrid-error.js';
import { qrTerminal } from '../web/qr-image.js';
import type { Store } from '../store/store.js';
import { CliError } from './cli-error.js';

export interface Output {
  out(text: string): void;
}

/** `qrid users add <username> [--name N] [--email E] [--group G]… [--admin] [--json]` */
export async function usersAdd(
  config: Config,
  store: Store,
  io: Output,
  args: { username: string; name?: string; email?: string; group?: string[]; admin?: boolean; json?: boolean },
): Promise<void> {
  const users = new Users(store);
  const user = await asCliError(() => users.create({ username: args.username, name: args.name, email: args.email, groups: args.group, admin: args.admin }));
  const enrollUrl = await inviteUrl(config, store, user.id);
  if (args.json) {
    io.out(JSON.stringify({ id: user.id, username: user.username, enrollUrl }));
    return;
  }
  io.out(`Created ${user.admin ? 'administrator' : 'user'} ${user.username} (${user.id}).`);
  await printInvite(io, enrollUrl, config.enrollment.link_seconds);
}

/** `qrid invite <username> [--json]` */
export async function invite(config: Config, store: Store, io: Output, args: { username: string; json?: boolean }): Promise<void> {
  const user = await new Users(store).findByUsername(args.username);
  if (!user) throw new CliError(`No user named "${args.username}". Create one with: qrid users add ${args.username}`);
  if (user.disabled) throw new CliError(`The user "${user.username}" is disabled; enable them before inviting.`);
  const enrollUrl = await inviteUrl(config, store, user.id);
  if (args.json) {
    io.out(JSON.stringify({ id: user.id, username: user.username, enrollUrl }));
    return;
  }
  await printInvite(io, enrollUrl, config.enrollment.link_seconds);
}

/** `qrid users set <username> [--name N] [--email E]`: what apps receive as `name` and `email`. */
export async function usersSet(store: Store, io: Output, args: { username: string; name?: string; email?: string }): Promise<void> {
  const users = new Users(store);
  const user = await existingUser(users, args.username);
  if (args.name === undefined && args.email === undefined) throw new CliError('Give --name and/or --email (an empty --email "" removes it).');
  const updated = await asCliError(() => users.update(user, { name: args.name, email: args.email }));
  io.out(`${updated.username}: name "${updated.name}", email ${updated.email || '(none)'}`);
}

/** `qrid users groups <username> [--add G]… [--remove G]…`: prints the groups after the change. */
export async function usersGroups(store: Store, io: Output, args: { username: string; add?: string[]; remove?: string[]; json?: boolean }): Promise<void> {
  const users = new Users(store);
  let user = await existingUser(users, args.username);
  if (args.add?.length || args.remove?.length) {
    const removed = new Set(args.remove ?? []);
    const groups = [...user.groups.filter((g) => !removed.has(g)), ...(args.add ?? [])];
    user = await asCliError(() => users.update(user, { groups }));
  }
  io.out(args.json ? JSON.stringify(user.groups) : user.groups.length ? user.groups.join('\n') : `${user.username} is in no groups.`);
}

async function existingUser(users: Users, username: string) {
  const user = await users.findByUsername(username);
  if (!user) throw new CliError(`No user named "${username}".`);
  return user;
}

async function asCliError<T>(step: () => Promise<T>): Promise<T> {
  try {
    return await step();
  } catch (error) {
    if (error instanceof QridError) throw new CliError(error.message);
    throw error;
  }
}

/** `qrid users list [--json]` */
export async function usersList(store: Store, io: Output, args: { json?: boolean }): Promise<void> {
  const users = await new Users(store).list();
  if (args.json) {
    io.out(JSON.stringify(users.map(({ id, username, name, email, groups, admin, disabled }) => ({ id, username, name, email, groups, admin, disabled }))));
    return;
  }
  if (!users.length) io.out('No users yet.');
  for (const u of users) {
    io.out(`${u.username}\t${u.name}\t${u.email || '-'}\t${u.groups.join(',') || '-'}${u.admin ? '\tadmin' : ''}${u.disabled ? '\tdisabled' : ''}`);
  }
}

/**
 * `qrid users disable|enable|remove <username>`. Ending sessions sends back-channel logout, so
 * this builds qrid's services (provider included) on the shared store: no web app, no listener.
 */
export async function userLifecycle(config: Config, store: Store, io: Output, action: 'disable' | 'enable' | 'remove', username: string): Promise<void> {
  const services = await compose(config, { store, logger: createLogger('silent'), metrics: new Metrics({ defaultMetrics: false }) });
  const user = await services.users.findByUsername(username);
  if (!user) throw new CliError(`No user named "${username}".`);
  if (action === 'disable') await disableUser(services, user);
  else if (action === 'enable') await enableUser(services, user);
  else await removeUser(services, user);
  io.out(
    action === 'disable'
      ? `Disabled ${user.username}: their sessions are ended and devices removed.`
      : action === 'enable'
        ? `Enabled ${user.username}. Give them a new enrollment link: qrid invite ${user.username}`
        : `Removed ${user.username}, their sessions and devices.`,
  );
}

async function inviteUrl(config: Config, store: Store, userId: string): Promise<string> {
  const { token } = await new Enrollments(store, config.enrollment.link_seconds).create('invite', userId);
  return `${config.issuer}/enroll/${token}`;
}

async function printInvite(io: Output, url: string, seconds: number): Promise<void> {
  io.out(`One-time enrollment link (valid ${Math.round(seconds / 60)} minutes). Open it on the user's phone:\n\n  ${url}\n`);
  io.out(await qrTerminal(url));
}
