import type { Approval } from '../approvals/approval-record.js';
import type { Config } from '../config/schema.js';
import type { Logger } from '../logging/logger.js';
import type { PushNotifier } from './push-notifier.js';
import { type Language, translate } from '../i18n/catalogues.js';

/**
 * Tells a user's phones that a request waits in their inbox. The text says only what the lock
 * screen may show (`push.lock_screen`): that something waits, and with `app` which app; never
 * who asked or from where. Sent in the background: the inbox lists the request whatever
 * happens to the push.
 */
export function notifyApproval(
  deps: { push: PushNotifier; config: Pick<Config, 'push'>; logger: Logger },
  approval: Approval,
  clientName: string,
): void {
  const generic = deps.config.push.lock_screen === 'generic';
  const message = {
    body: (lang: Language) => (generic ? translate(lang, 'push.body') : translate(lang, 'push.body_app', { app: clientName })),
    url: `/phone/inbox/${approval.id}`,
    tag: approval.id,
    ttlSeconds: Math.max(0, (approval.expiresAt - Date.now()) / 1000),
  };
  deps.push.notifyAccount(approval.targetAccountId, message).then(
    (sent) => deps.logger.info({ event: 'push.sent', approvalId: approval.id, accountId: approval.targetAccountId, devices: sent }, 'push.sent'),
    (error: unknown) => deps.logger.warn({ event: 'push.failed', approvalId: approval.id, err: error instanceof Error ? error.message : String(error) }, 'push.failed'),
  );
}
