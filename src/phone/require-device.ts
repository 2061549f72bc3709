import type { Context } from 'koa';

import { forbidden, QridError } from '../errors/qrid-error.js';
import type { Services } from '../services.js';
import { currentDevice, deviceCsrfBinding, type SignedInDevice } from './device-session.js';

export const notSignedIn = () => new QridError(401, 'device_not_signed_in');

/** For state-changing phone requests: a signed-in device and a CSRF token bound to it. */
export async function requireDevice(services: Services, ctx: Context, token: unknown): Promise<SignedInDevice> {
  const signedIn = await currentDevice(services, ctx);
  if (!signedIn) throw notSignedIn();
  if (!services.csrf.verify(deviceCsrfBinding(signedIn.device), token)) {
    throw forbidden('csrf_invalid', 'error.csrf_invalid.phone');
  }
  return signedIn;
}
