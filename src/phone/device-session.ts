import type { Context } from 'koa';

import type { Device } from '../accounts/devices.js';
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
  const device = await services.devices.authenticate(ctx.cookies.get(deviceCookieName(services.config), { signed: false }));
  if (!device) return undefined;
  const user = await services.users.findActive(device.userId);
  return user ? { device, user } : undefined;
}

export function deviceCsrfBinding(device: Device): string {
  return `device:${device.id}`;
}
