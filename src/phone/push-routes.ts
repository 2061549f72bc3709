import type Router from '@koa/router';

import { localeOf } from '../i18n/locale.js';
import type { Services } from '../services.js';
import { readJson } from '../web/read-json.js';
import { requireDevice } from './require-device.js';

/** This phone opts in to notifications (its browser's push subscription) or out. */
export function pushRoutes(services: Services, router: Router): void {
  router.post('/phone/push', async (ctx) => {
    const signedIn = await requireDevice(services, ctx, ctx.get('X-CSRF-Token'));
    const body = (await readJson(ctx)) as { subscription?: unknown };
    await services.pushSubscriptions.save(signedIn.device.id, body.subscription, localeOf(ctx).lang);
    services.logger.info({ event: 'push.subscribed', deviceId: signedIn.device.id, accountId: signedIn.user.id }, 'push.subscribed');
    ctx.body = { on: true };
  });

  router.post('/phone/push/off', async (ctx) => {
    const signedIn = await requireDevice(services, ctx, ctx.get('X-CSRF-Token'));
    await services.pushSubscriptions.remove(signedIn.device.id);
    ctx.body = { on: false };
  });
}
