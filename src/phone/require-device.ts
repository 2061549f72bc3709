import type { Context } from 'koa';

import { forbidden, QridError } from '../errors/qrid-error.js';
import type { Services } from '../services.js';
import { currentDevice, deviceCsrfBinding, type SignedInDevice } from './device-session.js';

export const notSignedIn = () =>
  new QridError(401, 'device_not_signed_in', 'This device is not signed in to qrid, so it cannot approve sign-ins.', {
    title: 'This phone is not signed in',
  });

/** For state-changing phone requests: a signed-in device and a CSRF token bound to it. */
export async function requireDevice(services: Services, ctx: Context, token: unknown): Promise<SignedInDevice> {
  const signedIn = await currentDevice(services, ctx);
  if (!signedIn) throw notSignedIn();
  if (!services.csrf.verify(deviceCsrfBinding(signedIn.device), token)) {
    throw forbidden('csrf_invalid', 'This page is out of date. Go back, reload it and try again.', 'Request refused');
  }
  return signedIn;
}
