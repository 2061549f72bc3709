import type { Devices } from '../accounts/devices.js';
import type { User, Users } from '../accounts/users.js';
import { QridError } from '../errors/qrid-error.js';
import type { Approval } from './approval-record.js';

/**
 * Checked when an approved request is turned into a login, for every kind of request: the
 * device that approved still exists and belongs to the account, and the account is active.
 * Removing a device or disabling a user therefore voids the approvals they made but were not
 * completed yet. (A removal that lands after this check ends the session the login starts:
 * provider/session-hook.ts checks again once the session is recorded.)
 */
export async function confirmApprover(deps: { devices: Pick<Devices, 'find'>; users: Pick<Users, 'findActive'> }, approval: Approval): Promise<User> {
  const [device, user] = await Promise.all([deps.devices.find(approval.deviceId), deps.users.findActive(approval.accountId)]);
  if (!user) throw new QridError(403, 'account_disabled');
  if (!device || device.userId !== user.id) throw approverRemoved();
  return user;
}

export const approverRemoved = () => new QridError(409, 'approver_removed');
