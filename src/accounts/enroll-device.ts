import { QridError } from '../errors/qrid-error.js';
import type { Logger } from '../logging/logger.js';
import type { Device, Devices } from './devices.js';
import { type Enrollment, enrollmentErrors, type Enrollments } from './enrollments.js';
import { type NewUser, type User, type Users, validateNewUser } from './users.js';

type Deps = { users: Users; devices: Devices; enrollments: Enrollments; logger: Logger };

/**
 * An enrollment link as every way of enrolling sees it (the enrollment page, its confirming
 * POST, the companion API): unused and in time (enrollments.ts), and for an invite, naming a
 * user who is active and was not disabled after the link was made. Disabling voids a user's
 * links for good; enabling them again brings none back.
 */
export async function checkEnrollmentLink(deps: Pick<Deps, 'users' | 'enrollments'>, token: string): Promise<{ enrollment: Enrollment; user: User | undefined }> {
  const enrollment = await deps.enrollments.peek(token);
  if (enrollment.kind === 'setup') return { enrollment, user: undefined };
  const user = await deps.users.findActive(enrollment.userId);
  if (!user) throw userDisabled();
  if (voided(enrollment, user)) throw enrollmentErrors.unknown();
  return { enrollment, user };
}

const voided = (enrollment: Enrollment, user: User) => user.linksVoidedAt > 0 && enrollment.createdAt <= user.linksVoidedAt;

/**
 * Redeems an enrollment link and signs the device in. For the setup link this also creates
 * the first administrator, and only while there is no user at all. A companion enrolls with
 * its public key (and only with an invite: the first administrator enrolls in a browser).
 */
export async function enrollDevice(
  deps: Deps,
  input: { token: string; deviceName: string; newAdmin?: NewUser; ip: string; publicKeyJwk?: string },
): Promise<{ user: User; device: Device; cookieValue: string }> {
  const { enrollment: peeked } = await checkEnrollmentLink(deps, input.token);
  if (peeked.kind === 'setup') {
    if (input.publicKeyJwk) throw new QridError(400, 'invalid_request', { params: { reason: 'enroll the first administrator in a browser; companions use invite links' } });
    // Validate before redeeming, so a typo does not burn the one-time link.
    validateNewUser(input.newAdmin ?? { username: '' });
    if ((await deps.users.count()) > 0) throw setupDone();
  }

  const enrollment = await deps.enrollments.redeem(input.token);
  let user: User | undefined;
  if (enrollment.kind === 'setup') {
    if ((await deps.users.count()) > 0) throw setupDone();
    user = await deps.users.create({ ...(input.newAdmin as NewUser), admin: true });
  } else {
    // Checked again after redeeming: a disable that landed in between wins.
    user = await deps.users.findActive(enrollment.userId);
    if (!user || voided(enrollment, user)) throw userDisabled();
  }
  const { device, cookieValue } = await deps.devices.create(user.id, input.deviceName, input.publicKeyJwk);
  deps.logger.info(
    { event: 'device.enrolled', accountId: user.id, deviceId: device.id, kind: input.publicKeyJwk ? 'companion' : enrollment.kind, ip: input.ip },
    'device.enrolled',
  );
  return { user, device, cookieValue };
}

const userDisabled = () => new QridError(403, 'user_disabled');
const setupDone = () => new QridError(409, 'setup_done');
