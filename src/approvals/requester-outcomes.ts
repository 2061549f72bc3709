import { grantRecordUid } from '../accounts/end-session.js';
import type { Devices } from '../accounts/devices.js';
import type { SessionRecords } from '../accounts/session-records.js';
import type { Users } from '../accounts/users.js';
import type { Logger } from '../logging/logger.js';
import { cibaResult } from '../provider/ciba.js';
import type Provider from 'oidc-provider';
import type { ApprovalEngine } from './approval-engine.js';
import type { Approval } from './approval-record.js';
import { confirmApprover } from './complete-approval.js';
import type { Inbox } from './inbox.js';

/**
 * How requesters that do not wait on a page learn a decision. A request addressed to a user
 * leaves (or changes in) their inbox; a CIBA request's outcome goes to oidc-provider, which the
 * app polls (or is pinged). Runs on the instance that recorded the decision; failures are
 * logged (a CIBA request then stays pending until it expires).
 */
export function requesterOutcomes(deps: {
  provider: () => Provider;
  approvals: Pick<ApprovalEngine, 'recordCompletion'>;
  inbox: Pick<Inbox, 'changed'>;
  devices: Pick<Devices, 'find'>;
  users: Pick<Users, 'findActive'>;
  sessions: Pick<SessionRecords, 'save'>;
  logger: Logger;
}): (event: string, approval: Approval) => void {
  return (event, approval) => {
    if (approval.targetAccountId) void deps.inbox.changed(approval.targetAccountId).catch(() => undefined);
    if (approval.kind === 'ciba' && (event === 'approval.approved' || event === 'approval.denied')) {
      finishCiba(deps, approval).catch((error: unknown) => deps.logger.error({ err: error, approvalId: approval.id }, 'ciba result not delivered'));
    }
  };
}

async function finishCiba(deps: Parameters<typeof requesterOutcomes>[0], approval: Approval): Promise<void> {
  let approved = approval.state === 'approved';
  if (approved) {
    // The same check as a browser's completion: the approving device must still be there.
    approved = await confirmApprover(deps, approval).then(
      () => true,
      () => false,
    );
  }
  const record = async (grantId: string) => {
    await deps.sessions.save({
      uid: grantRecordUid(grantId),
      accountId: approval.accountId,
      deviceId: approval.deviceId,
      approvalId: approval.id,
      userAgent: approval.requesterUserAgent,
      ip: approval.requesterIp,
      startedAt: Date.now(),
      lastUsedAt: Date.now(),
      amr: approval.amr,
      clientId: approval.clientId,
    });
  };
  const result = await cibaResult(deps.provider(), { id: approval.id, approved, acr: approval.acr, amr: approval.amr, decidedAt: approval.decidedAt }, record);
  if (result.pingFailed) deps.logger.warn({ event: 'ciba.ping_failed', approvalId: approval.id, err: String(result.pingFailed) }, 'ciba.ping_failed');
  if (result.grantId) deps.approvals.recordCompletion(approval);
}
