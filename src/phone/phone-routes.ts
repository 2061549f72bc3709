import type Router from '@koa/router';

import type { Services } from '../services.js';
import { endAllSessions, endOneSession, removeOwnDevice, renameOwnDevice, revokeConsent } from './account-actions.js';
import { confirmEnrollment, enrollPage } from './enroll-page.js';
import { linkDevice, linkOptions, passkeyRegistrationOptions, passkeyUnlockOptions, registerPasskey } from './passkey-routes.js';
import { inboxRoutes } from './inbox-routes.js';
import { phoneHome } from './phone-home.js';
import { pushRoutes } from './push-routes.js';
import { approvalByHandle, approvalPasskeyOptions, decideByHandle, qrLanding, reportScan } from './qr-landing.js';
import { claimedTarget, decideClaimed, enterTypedCode } from './typed-code.js';

/** The phone's routes: QR landing, typed code, enrollment, home. */
export function phoneRoutes(services: Services, router: Router): void {
  router.get('/phone', phoneHome(services));
  // The installed app's offline page (its service worker keeps a copy: static/sw.js).
  router.get('/offline', (ctx) => services.views.render(ctx, 'offline.njk'));
  router.get('/q/:handle', qrLanding(services));
  router.post('/q/:handle/scan', reportScan(services));
  router.post('/q/:handle/passkey-options', approvalPasskeyOptions(services, approvalByHandle));
  router.post('/q/:handle', decideByHandle(services));
  router.post('/code', enterTypedCode(services));
  router.post('/approvals/:id/passkey-options', approvalPasskeyOptions(services, claimedTarget));
  router.post('/approvals/:id', decideClaimed(services));
  router.post('/phone/sessions/end-all', endAllSessions(services));
  router.post('/phone/sessions/:uid/end', endOneSession(services, 'user'));
  router.post('/phone/sessions/:uid/not-me', endOneSession(services, 'not_me'));
  router.post('/phone/devices/:id/remove', removeOwnDevice(services));
  router.post('/phone/devices/:id/name', renameOwnDevice(services));
  router.post('/phone/consents/:clientId/revoke', revokeConsent(services));
  router.post('/phone/passkeys/unlock-options', passkeyUnlockOptions(services));
  router.post('/phone/passkeys/options', passkeyRegistrationOptions(services));
  router.post('/phone/passkeys', registerPasskey(services));
  router.post('/phone/link/options', linkOptions(services));
  router.post('/phone/link', linkDevice(services));
  inboxRoutes(services, router);
  pushRoutes(services, router);
  router.get('/enroll/:token', enrollPage(services));
  router.post('/enroll/:token', confirmEnrollment(services));
}
