import type { Context } from 'koa';

import { SETUP_SECONDS } from '../accounts/passkey-setup.js';
import { passkeyErrors } from '../accounts/passkeys.js';
import type { Config } from '../config/schema.js';
import { clientAddress } from '../web/client-address.js';
import { readForm } from '../web/read-form.js';
import { readJson } from '../web/read-json.js';
import { localeOf } from '../i18n/locale.js';
import { qrSvg } from '../web/qr-image.js';
import type { Services } from '../services.js';
import { requireDevice } from './require-device.js';

/**
 * The first-passkey window's secret (accounts/passkey-setup.ts), in a cookie of its own, given
 * only by the enrollment that created the device: HttpOnly, SameSite=Strict, scoped to /phone,
 * gone after SETUP_SECONDS. A copy of the device cookie alone does not carry it.
 */
export function passkeySetupCookieName(config: Config): string {
  return config.issuer.startsWith('https:') ? '__Secure-qrid_passkey_setup' : 'qrid_passkey_setup';
}

export function setPasskeySetupCookie(ctx: Context, config: Config, secret: string | null): void {
  ctx.cookies.set(passkeySetupCookieName(config), secret, {
    httpOnly: true,
    sameSite: 'strict',
    secure: config.issuer.startsWith('https:'),
    path: '/phone',
    signed: false,
    overwrite: true,
    maxAge: secret ? SETUP_SECONDS * 1000 : 0,
  });
}

export const passkeySetupSecret = (ctx: Context, config: Config) => ctx.cookies.get(passkeySetupCookieName(config), { signed: false });

const ADD_PASSKEY = 'add-passkey';

/** POST /phone/passkeys/unlock-options — an assertion challenge: adding another passkey needs one this device has. */
export function passkeyUnlockOptions(services: Services) {
  return async function options(ctx: Context): Promise<void> {
    const { device } = await requireDevice(services, ctx, ctx.get('X-CSRF-Token'));
    ctx.body = await services.passkeys.authenticationOptions(device, ADD_PASSKEY);
  };
}

/**
 * POST /phone/passkeys/options — registration options for a passkey on this device, only for a
 * device that proves more than its cookie: its first passkey within the enrollment's setup
 * window (the setup cookie), another one with an assertion of a passkey it already has.
 */
export function passkeyRegistrationOptions(services: Services) {
  return async function options(ctx: Context): Promise<void> {
    const { user, device } = await requireDevice(services, ctx, ctx.get('X-CSRF-Token'));
    const body = (await readJson(ctx)) as { assertion?: unknown } | null;
    if (await services.passkeys.hasPasskey(device.id)) {
      if (!body?.assertion) throw passkeyErrors.unlockRequired();
      await services.passkeys.verify(device, ADD_PASSKEY, body.assertion);
    } else if (!(await services.passkeySetup.isOpen(device.id, passkeySetupSecret(ctx, services.config)))) {
      throw passkeyErrors.setupClosed();
    }
    ctx.body = await services.passkeys.registrationOptions(user, device);
  };
}

/**
 * POST /phone/passkeys — verifies and stores the new passkey. Its challenge was issued only by
 * the route above; a first passkey also uses up the setup window, once.
 */
export function registerPasskey(services: Services) {
  return async function register(ctx: Context): Promise<void> {
    const { user, device } = await requireDevice(services, ctx, ctx.get('X-CSRF-Token'));
    const body = (await readJson(ctx)) as { response?: unknown } | null;
    const first = !(await services.passkeys.hasPasskey(device.id));
    const secret = passkeySetupSecret(ctx, services.config);
    if (first && !(await services.passkeySetup.isOpen(device.id, secret))) throw passkeyErrors.setupClosed();
    await services.passkeys.register(user, device, body?.response, async () => {
      if (first && !(await services.passkeySetup.use(device.id, secret))) throw passkeyErrors.setupClosed();
    });
    if (first) setPasskeySetupCookie(ctx, services.config, null);
    services.logger.info({ event: 'passkey.registered', accountId: user.id, deviceId: device.id, first, ip: clientAddress(ctx) }, 'passkey.registered');
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
    services.views.render(ctx, 'phone-link.njk', { url, svg: await qrSvg(url, localeOf(ctx).t('qr.svg_label')), expiresAt });
  };
}
