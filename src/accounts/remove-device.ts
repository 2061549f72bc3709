import type { Services } from '../services.js';
import type { Device } from './devices.js';
import { endSession } from './end-session.js';

/**
 * Removes a device and ends every session it approved (and no other). The device goes first:
 * from then on it authenticates nothing, its approvals not yet completed are void
 * (approvals/complete-approval.ts), and a session being recorded for it right now ends itself
 * (provider/session-hook.ts). Then the sessions recorded before are ended.
 */
export async function removeDevice(
  services: Pick<Services, 'provider' | 'store' | 'sessions' | 'logger' | 'devices' | 'passkeys'>,
  device: Device,
  actor: { accountId?: string; deviceId?: string; ip?: string } = {},
  reason: 'device_removed' | 'user_disabled' | 'user_removed' = 'device_removed',
): Promise<number> {
  await services.devices.delete(device);
  await services.passkeys.removeForDevice(device.id);
  const uids = await services.sessions.forDevice(device);
  let ended = 0;
  for (const uid of uids) if (await endSession(services, { uid, accountId: device.userId }, reason, actor)) ended += 1;
  services.logger.info(
    { event: 'device.removed', deviceId: device.id, accountId: device.userId, sessionsEnded: ended, reason, byAccount: actor.accountId, byDevice: actor.deviceId, ip: actor.ip },
    'device.removed',
  );
  return ended;
}
