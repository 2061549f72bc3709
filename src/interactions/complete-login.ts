import type { Context } from 'koa';

import { confirmApprover } from '../approvals/complete-approval.js';
import { QridError } from '../errors/qrid-error.js';
import { readForm } from '../http/read-form.js';
import type { QridLoginDetails } from '../provider/session-hook.js';
import type { Services } from '../services.js';
import { endSession } from '../accounts/end-session.js';
import { finishInteraction, type InteractionDetails, loadInteractionWith, requireInteractionCsrf } from './load-interaction.js';

/**
 * POST /interaction/:uid/complete — the waiting browser, once approved, finishes its own
 * interaction. Only a browser holding the interaction cookie gets here (loadInteractionWith), the
 * approval belongs to this interaction alone (it is keyed by its uid, and oidc-provider
 * consumes the interaction on resume), and the account comes from the approving device, never
 * from this request.
 */
export function completeLogin(services: Services) {
  return async function complete(ctx: Context): Promise<void> {
    const form = await readForm(ctx);
    requireInteractionCsrf(services, ctx, form.csrf);
    const { details, others: approval } = await loadInteractionWith(services, ctx, (uid) => services.approvals.recordKeys(uid));
    if (details.prompt.name !== 'login') {
      throw new QridError(409, 'not_login');
    }
    const done = await services.approvals.approvedFor(details.uid, { records: approval });
    if (!done) {
      throw new QridError(409, 'not_approved');
    }
    const user = await confirmApprover(services, done);
    await replaceOtherUsersSession(services, details, user.id, done.requesterIp);
    // A page that posts again (a lost redirect, a reload) gets the same result, counted once.
    const first = details.result?.login === undefined;
    const qrid: QridLoginDetails = {
      approvalId: done.id,
      deviceId: done.deviceId,
      userAgent: done.requesterUserAgent,
      ip: done.requesterIp,
    };
    await finishInteraction(ctx, details, {
      login: {
        accountId: user.id,
        amr: done.amr,
        acr: done.acr,
        ts: Math.floor(done.decidedAt / 1000),
        remember: true,
      },
      qrid,
    });
    if (first) services.approvals.recordCompletion(done);
  };
}

/**
 * Shared computers: this browser still holds another person's qrid session. End it first
 * (back-channel logout, tokens revoked), and detach the interaction from it (saved with the
 * result), so the new login starts a fresh session with a fresh id instead of inheriting anything.
 */
async function replaceOtherUsersSession(services: Services, details: InteractionDetails, accountId: string, ip: string): Promise<void> {
  const previous = details.session;
  if (!previous?.accountId || previous.accountId === accountId || !previous.uid) return;
  await endSession(services, { uid: previous.uid, accountId: previous.accountId }, 'replaced', { accountId, ip });
  details.session = undefined;
}
