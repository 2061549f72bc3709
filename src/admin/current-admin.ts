import type { Context } from 'koa';

import type { User } from '../accounts/users.js';
import { currentDevice } from '../phone/device-session.js';
import type { Services } from '../services.js';

/**
 * The administrator using this browser: either qrid's own browser session (an admin who
 * signed in by QR, like everyone) or an admin's enrolled device. Never anything else.
 */
export async function currentAdmin(services: Services, ctx: Context): Promise<User | undefined> {
  const device = await currentDevice(services, ctx);
  if (device?.user.admin) return device.user;
  const jti = ctx.cookies.get(services.provider.cookieName('session'), { signed: true });
  if (!jti || jti.length > 100) return undefined;
  const session = await services.provider.Session.find(jti);
  const user = session?.accountId ? await services.users.findActive(session.accountId) : undefined;
  return user?.admin ? user : undefined;
}
