import type { Context } from 'koa';

import type { Services } from '../services.js';
import { formatTime, sessionViews } from './account-view.js';
import { currentDevice, deviceCsrfBinding } from './device-session.js';
import { passkeySetupSecret } from './passkey-routes.js';

/**
 * GET /phone — the phone's qrid page: who is signed in here, the typed-code form, recent
 * approvals ("This wasn't me"), every browser session and device with their sign-out and
 * remove buttons, the passkey, and signing in another device.
 */
export function phoneHome(services: Services) {
  return async function home(ctx: Context): Promise<void> {
    const signedIn = await currentDevice(services, ctx);
    ctx.type = 'html';
    if (!signedIn) {
      ctx.body = services.views.render('phone-not-signed-in.njk', {});
      return;
    }
    const { user, device } = signedIn;
    const devices = await services.devices.listForUser(user.id);
    const sessions = await sessionViews(services, user, devices);
    ctx.body = services.views.render('phone-home.njk', {
      user,
      device,
      csrf: services.csrf.token(deviceCsrfBinding(device)),
      sessions,
      recent: sessions.filter((s) => s.recent),
      devices: devices.map((d) => ({ ...d, current: d.id === device.id, created: formatTime(d.createdAt), lastSeen: formatTime(d.lastSeenAt) })),
      hasPasskey: await services.passkeys.hasPasskey(device.id),
      passkeySetupOpen: await services.passkeySetup.isOpen(device.id, passkeySetupSecret(ctx, services.config)),
      passkeyPolicy: services.config.passkeys.policy,
      notice: noticeFor(ctx.query),
    });
  };
}

function noticeFor(query: Record<string, unknown>): string | undefined {
  if (query.enrolled) return 'This device is now signed in to qrid.';
  if (query.passkey) return 'Passkey added: approvals on this device will ask for it.';
  if (query.ended) return 'Signed out.';
  if (query.reported) return 'That session was ended and reported. If this keeps happening, tell your administrator.';
  if (query.removed) return 'Device removed, and every session it approved was ended.';
  if (query.renamed) return 'Device renamed.';
  return undefined;
}
