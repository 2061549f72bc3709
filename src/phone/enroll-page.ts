import type { Context } from 'koa';

import { checkEnrollmentLink, enrollDevice } from '../accounts/enroll-device.js';
import { enrollmentErrors } from '../accounts/enrollments.js';
import { forbidden, QridError } from '../errors/qrid-error.js';
import { describeUserAgent } from '../web/describe-client.js';
import { readForm } from '../web/read-form.js';
import { hashSecret } from '../security/tokens.js';
import type { Services } from '../services.js';
import { setDeviceCookie } from './device-session.js';
import { setPasskeySetupCookie } from './passkey-routes.js';
import { clientAddress } from '../web/client-address.js';

const TOKEN = /^[A-Za-z0-9_-]{22}$/;

function tokenParam(ctx: Context): string {
  const token = String(ctx.params.token ?? '');
  if (!TOKEN.test(token)) throw enrollmentErrors.unknown();
  return token;
}

const csrfBinding = (token: string) => `enroll:${hashSecret(token)}`;

/** GET/HEAD /enroll/:token — shows what the link does; only the POST below uses it. */
export function enrollPage(services: Services) {
  return async function showEnrollment(ctx: Context): Promise<void> {
    const token = tokenParam(ctx);
    const { enrollment, user } = await checkEnrollmentLink(services, token).catch((error: unknown) => {
      // The page does not tell a stranger holding the link whether the account was disabled.
      throw error instanceof QridError && error.code === 'user_disabled' ? enrollmentErrors.unknown() : error;
    });
    const { browser, os } = describeUserAgent(ctx.get('User-Agent'));
    services.views.render(ctx, 'enroll.njk', {
      setup: enrollment.kind === 'setup',
      user,
      deviceName: `${browser} on ${os}`,
      csrf: services.csrf.token(csrfBinding(token)),
      action: `/enroll/${token}`,
    });
  };
}

/** POST /enroll/:token — enrolls this browser as a device and signs it in. */
export function confirmEnrollment(services: Services) {
  return async function enroll(ctx: Context): Promise<void> {
    const token = tokenParam(ctx);
    const form = await readForm(ctx);
    if (!services.csrf.verify(csrfBinding(token), form.csrf)) {
      throw forbidden('csrf_invalid', 'error.csrf_invalid.enrollment');
    }
    await services.limiter.hit('enroll', { address: clientAddress(ctx) }, services.config.rate_limits.enrollment_per_ip);
    const { device, cookieValue } = await enrollDevice(services, {
      token,
      deviceName: form.device_name ?? '',
      newAdmin: { username: form.username ?? '', name: form.name, email: form.email },
      ip: clientAddress(ctx),
    });
    setDeviceCookie(ctx, services.config, cookieValue);
    // The one window in which this device may add its first passkey (accounts/passkey-setup.ts).
    setPasskeySetupCookie(ctx, services.config, await services.passkeySetup.open(device.id));
    ctx.status = 303;
    ctx.redirect('/phone?enrolled=1');
  };
}
