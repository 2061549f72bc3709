import type { Context } from 'koa';

import type { User } from '../accounts/users.js';
import { randomToken } from '../security/tokens.js';
import type { Services } from '../services.js';

/**
 * The admin console's own sign-in. Opening the console always takes a new approval on the
 * administrator's phone (prompt=login to qrid's own client `qrid-admin`): a browser that is
 * signed in to qrid for some app is not thereby an administrator's. What the approval yields
 * is this session: a signed cookie of its own (HttpOnly, SameSite=Strict, path /admin) naming a
 * record in the store, for at most SESSION_SECONDS, ended by the console's sign-out.
 */
export const ADMIN_COOKIE = 'qrid_admin';
export const SESSION_SECONDS = 30 * 60;
const sessionKey = (id: string) => `admin-session:${id}`;

export interface AdminSession {
  id: string;
  admin: User;
  /** The qrid browser session the approval started: signing out of the console ends it too. */
  sessionUid: string;
}

export async function startAdminSession(services: Services, ctx: Context, accountId: string, sessionUid: string): Promise<void> {
  const id = randomToken();
  await services.store.putRecord(sessionKey(id), { accountId, sessionUid }, SESSION_SECONDS);
  ctx.cookies.set(ADMIN_COOKIE, id, cookieOptions(services, SESSION_SECONDS * 1000));
}

/** The administrator signed in to the console in this browser, if the session is live and they still are one. */
export async function currentAdminSession(services: Services, ctx: Context): Promise<AdminSession | undefined> {
  const id = ctx.cookies.get(ADMIN_COOKIE, { signed: true });
  if (!id || !/^[\w-]{22}$/.test(id)) return undefined;
  const record = await services.store.getRecord(sessionKey(id));
  const admin = record?.accountId ? await services.users.findActive(record.accountId) : undefined;
  return admin?.admin ? { id, admin, sessionUid: record?.sessionUid ?? '' } : undefined;
}

export async function endAdminSession(services: Services, ctx: Context, session: AdminSession): Promise<void> {
  await services.store.deleteKeys([sessionKey(session.id)]);
  ctx.cookies.set(ADMIN_COOKIE, null, cookieOptions(services, 0));
}

function cookieOptions(services: Services, maxAge: number) {
  const https = services.config.issuer.startsWith('https:');
  return { httpOnly: true, sameSite: 'strict' as const, secure: https, signed: true, path: '/admin', overwrite: true, maxAge };
}
