import Router from '@koa/router';

import type { Services } from '../services.js';
import { completeLogin } from './complete-login.js';
import { abortInteraction, submitConsent } from './consent.js';
import { eventStream, longPoll } from './event-stream.js';
import { passkeySignInRoutes } from './passkey-sign-in.js';
import { pushSignInRoutes } from './push-sign-in.js';
import { qrPage } from './qr-page.js';
import { rotateQr } from './rotate-qr.js';
import { signInOnDeviceRoutes } from './sign-in-on-device.js';

/**
 * The waiting browser's routes. All live under /interaction/:uid/ because oidc-provider's
 * interaction cookie is scoped to that path: no other browser can use them.
 */
export function interactionRoutes(services: Services, router: Router): void {
  router.get('/interaction/:uid', qrPage(services));
  router.get('/interaction/:uid/events', eventStream(services));
  router.get('/interaction/:uid/status', longPoll(services));
  router.post('/interaction/:uid/qr', rotateQr(services));
  router.post('/interaction/:uid/complete', completeLogin(services));
  router.post('/interaction/:uid/consent', submitConsent(services));
  router.post('/interaction/:uid/abort', abortInteraction(services));
  signInOnDeviceRoutes(services, router);
  passkeySignInRoutes(services, router);
  pushSignInRoutes(services, router);
}
