import type { Config } from '../config/schema.js';
import type { Logger } from '../logging/logger.js';
import type { CibaRequest } from '../provider/ciba.js';
import { notifyApproval } from '../push/notify-approval.js';
import type { PushNotifier } from '../push/push-notifier.js';
import type { ApprovalEngine } from './approval-engine.js';
import type { Approval } from './approval-record.js';
import type { Inbox } from './inbox.js';

/**
 * Requests addressed to one user rather than to whoever scans a QR: a CIBA request, and a
 * browser sign-in whose person asked for a notification instead. Each waits in the user's
 * inbox on /phone and is announced to their phones by push.
 */
export class AddressedRequests {
  constructor(
    private readonly deps: {
      approvals: Pick<ApprovalEngine, 'start' | 'address'>;
      inbox: Pick<Inbox, 'add'>;
      push: PushNotifier;
      config: Pick<Config, 'push'>;
      logger: Logger;
    },
  ) {}

  /** A CIBA request (provider/ciba.ts) becomes an approval request in the user's inbox. */
  async ciba(request: CibaRequest): Promise<void> {
    const { approval } = await this.deps.approvals.start({
      kind: 'ciba',
      uid: request.id,
      clientId: request.clientId,
      expiresAt: request.expiresAt,
      ip: request.ip,
      userAgent: request.userAgent,
      targetAccountId: request.accountId,
      bindingMessage: request.bindingMessage,
      acrValues: request.acrValues,
    });
    await this.#announce(approval, request.clientName);
  }

  /** A waiting browser's person named their account: the request goes to that user's phones. */
  async pushSignIn(approvalId: string, accountId: string, clientName: string): Promise<Approval> {
    const approval = await this.deps.approvals.address(approvalId, accountId);
    await this.#announce(approval, clientName);
    return approval;
  }

  async #announce(approval: Approval, clientName: string): Promise<void> {
    await this.deps.inbox.add(approval);
    notifyApproval(this.deps, approval, clientName);
  }
}
