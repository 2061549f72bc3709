import type { Context } from 'koa';

import type { Services } from '../services.js';
import { currentDevice, deviceCsrfBinding } from './device-session.js';

/** GET /phone — the phone's qrid page: who is signed in here, and the typed-code form. */
export function phoneHome(services: Services) {
  return async function home(ctx: Context): Promise<void> {
    const signedIn = await currentDevice(services, ctx);
    ctx.type = 'html';
    if (!signedIn) {
      ctx.body = services.views.render('phone-not-signed-in.njk', {});
      return;
    }
    ctx.body = services.views.render('phone-home.njk', {
      user: signedIn.user,
      device: signedIn.device,
      csrf: services.csrf.token(deviceCsrfBinding(signedIn.device)),
    });
  };
}
