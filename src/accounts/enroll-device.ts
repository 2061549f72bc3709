import { QridError } from '../errors/qrid-error.js';
import type { Logger } from '../logging/logger.js';
import type { Device, Devices } from './devices.js';
import type { Enrollments } from './enrollments.js';
import { type NewUser, type User, type Users, validateNewUser } from './users.js';

/**
 * Redeems an enrollment link and signs the device in. For the setup link this also creates
 * the first administrator, and only while there is no user at all.
 */
export async function enrollDevice(
  deps: { users: Users; devices: Devices; enrollments: Enrollments; logger: Logger },
  input: { token: string; deviceName: string; newAdmin?: NewUser; ip: string },
): Promise<{ user: User; device: Device; cookieValue: string }> {
  const peeked = await deps.enrollments.peek(input.token);
  if (peeked.kind === 'setup') {
    // Validate before redeeming, so a typo does not burn the one-time link.
    validateNewUser(input.newAdmin ?? { username: '' });
    if ((await deps.users.count()) > 0) throw setupDone();
  } else if (!(await deps.users.findActive(peeked.userId))) {
    throw new QridError(403, 'user_disabled', 'This account is disabled or was removed; the link no longer works.', {
      title: 'Account disabled',
    });
  }

  const enrollment = await deps.enrollments.redeem(input.token);
  let user: User | undefined;
  if (enrollment.kind === 'setup') {
    if ((await deps.users.count()) > 0) throw setupDone();
    user = await deps.users.create({ ...(input.newAdmin as NewUser), admin: true });
  } else {
    user = await deps.users.findActive(enrollment.userId);
    if (!user) throw new QridError(403, 'user_disabled', 'This account is disabled or was removed.', { title: 'Account disabled' });
  }
  const { device, cookieValue } = await deps.devices.create(user.id, input.deviceName);
  deps.logger.info(
    { event: 'device.enrolled', accountId: user.id, deviceId: device.id, kind: enrollment.kind, ip: input.ip },
    'device.enrolled',
  );
  return { user, device, cookieValue };
}

const setupDone = () =>
  new QridError(409, 'setup_done', 'qrid already has users; this setup link is no longer needed. Ask an administrator for an enrollment link.', {
    title: 'Setup already done',
  });
