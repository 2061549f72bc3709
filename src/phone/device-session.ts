import type { Context } from 'koa';

import { type Device, ROTATE_AFTER_MS } from '../accounts/devices.js';
import type { User } from '../accounts/users.js';
import type { Config } from '../config/schema.js';
import type { Services } from '../services.js';

/**
 * The phone's sign-in: a long-lived HttpOnly cookie holding `<deviceId>.<secret>`. Behind TLS
 * it is `__Host-` prefixed (Secure, path /, no Domain), so no subdomain can set or read it.
 */
export function deviceCookieName(config: Config): string {
  return config.issuer.startsWith('https:') ? '__Host-qrid_device' : 'qrid_device';
}

export function setDeviceCookie(ctx: Context, config: Config, value: string): void {
  ctx.cookies.set(deviceCookieName(config), value, {
    httpOnly: true,
    sameSite: 'lax',
    secure: config.issuer.startsWith('https:'),
    path: '/',
    signed: false,
    overwrite: true,
    maxAge: config.enrollment.device_session_days * 24 * 3600 * 1000,
  });
}

export interface SignedInDevice {
  device: Device;
  user: User;
}

/** The signed-in device and its (active) user, or undefined. */
export async function currentDevice(services: Services, ctx: Context): Promise<SignedInDevice | undefined> {
  const cookieValue = ctx.cookies.get(deviceCookieName(services.config), { signed: false });
  const device = await services.devices.authenticate(cookieValue);
  if (!device || !cookieValue) return undefined;
  const user = await services.users.findActive(device.userId);
  if (!user) return undefined;
  // Rotation on use: a stolen copy of an old cookie stops working once the phone is back.
  if (Date.now() - device.secretIssuedAt > ROTATE_AFTER_MS && ctx.method !== 'HEAD') {
    const rotated = await services.devices.rotate(device, cookieValue);
    if (rotated) setDeviceCookie(ctx, services.config, rotated);
  }
  return { device, user };
}

export function deviceCsrfBinding(device: Device): string {
  return `device:${device.id}`;
}
