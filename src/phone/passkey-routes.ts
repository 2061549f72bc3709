import type { Context } from 'koa';

import { readForm } from '../http/read-form.js';
import { readJson } from '../http/read-json.js';
import { qrSvg } from '../interactions/qr-image.js';
import type { Services } from '../services.js';
import { requireDevice } from './require-device.js';
import { clientAddress } from '../http/client-address.js';

/** POST /phone/passkeys/options — registration options for a passkey on this device. */
export function passkeyRegistrationOptions(services: Services) {
  return async function options(ctx: Context): Promise<void> {
    const { user, device } = await requireDevice(services, ctx, ctx.get('X-CSRF-Token'));
    ctx.body = await services.passkeys.registrationOptions(user, device);
  };
}

/** POST /phone/passkeys — verifies and stores the new passkey. */
export function registerPasskey(services: Services) {
  return async function register(ctx: Context): Promise<void> {
    const { user, device } = await requireDevice(services, ctx, ctx.get('X-CSRF-Token'));
    const body = (await readJson(ctx)) as { response?: unknown };
    await services.passkeys.register(user, device, body?.response);
    services.logger.info({ event: 'passkey.registered', accountId: user.id, deviceId: device.id, ip: clientAddress(ctx) }, 'passkey.registered');
    ctx.body = { registered: true };
  };
}

/** POST /phone/link/options — an assertion challenge for signing in another device. */
export function linkOptions(services: Services) {
  return async function options(ctx: Context): Promise<void> {
    const { device } = await requireDevice(services, ctx, ctx.get('X-CSRF-Token'));
    ctx.body = await services.passkeys.authenticationOptions(device, 'link');
  };
}

/**
 * POST /phone/link — the reverse direction: this signed-in device shows a short-lived,
 * single-use QR that enrolls and signs in another phone. It needs a passkey verification made
 * just now, so a browser left signed in cannot hand out new devices silently.
 */
export function linkDevice(services: Services) {
  return async function link(ctx: Context): Promise<void> {
    const form = await readForm(ctx, 16 * 1024);
    const { user, device } = await requireDevice(services, ctx, form.csrf);
    let response: unknown;
    try {
      response = JSON.parse(form.assertion ?? '');
    } catch {
      response = undefined;
    }
    await services.passkeys.verify(device, 'link', response);
    const seconds = services.config.passkeys.link_verification_minutes * 60;
    const { token, expiresAt } = await services.enrollments.create('invite', user.id, Math.min(seconds, 300));
    const url = `${services.config.issuer}/enroll/${token}`;
    services.logger.info({ event: 'device.link_offered', accountId: user.id, deviceId: device.id, ip: clientAddress(ctx) }, 'device.link_offered');
    ctx.type = 'html';
    ctx.body = services.views.render('phone-link.njk', { url, svg: await qrSvg(url), expires: new Date(expiresAt).toISOString().slice(11, 16) });
  };
}
