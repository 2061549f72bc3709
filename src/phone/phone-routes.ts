import type Router from '@koa/router';

import type { Services } from '../services.js';
import { confirmEnrollment, enrollPage } from './enroll-page.js';
import { phoneHome } from './phone-home.js';
import { decideByHandle, qrLanding, reportScan } from './qr-landing.js';
import { decideClaimed, enterTypedCode } from './typed-code.js';

/** The phone's routes: QR landing, typed code, enrollment, home. */
export function phoneRoutes(services: Services, router: Router): void {
  router.get('/phone', phoneHome(services));
  router.get('/q/:handle', qrLanding(services));
  router.post('/q/:handle/scan', reportScan(services));
  router.post('/q/:handle', decideByHandle(services));
  router.post('/code', enterTypedCode(services));
  router.post('/approvals/:id', decideClaimed(services));
  router.get('/enroll/:token', enrollPage(services));
  router.post('/enroll/:token', confirmEnrollment(services));
}
