import type { Context } from 'koa';

import { confirmApprover } from '../approvals/complete-approval.js';
import { QridError } from '../errors/qrid-error.js';
import { readForm } from '../web/read-form.js';
import type { QridLoginDetails } from '../provider/session-hook.js';
import type { Services } from '../services.js';
import type { Approval } from '../approvals/approval-record.js';
import { finishInteraction, type InteractionDetails, loadInteraction, requireInteractionCsrf } from './load-interaction.js';

/**
 * POST /interaction/:uid/complete — the waiting browser, once approved, finishes its own
 * interaction. Only a browser holding the interaction cookie gets here (loadInteraction), the
 * approval belongs to this interaction alone (it is keyed by its uid, and oidc-provider
 * consumes the interaction on resume), and the account comes from the approving device, never
 * from this request.
 *
 * Shared computers: if this browser still holds another person's qrid session, oidc-provider
 * ends it on resume (its own "different account" step: back-channel logout, grants revoked, a
 * fresh session for the new login).
 */
export function completeLogin(services: Services) {
  return async function complete(ctx: Context): Promise<void> {
    const form = await readForm(ctx);
    requireInteractionCsrf(services, ctx, form.csrf);
    const details = await loadInteraction(services, ctx);
    if (details.prompt.name !== 'login') throw new QridError(409, 'not_login');
    const done = await services.approvals.approvedFor(details.uid);
    if (!done) throw new QridError(409, 'not_approved');
    await finishApprovedLogin(services, ctx, details, done);
  };
}

/**
 * Hands an approved request's login to oidc-provider: the account is the approving device's
 * owner (checked again here: the device must still exist and the user be active), with the
 * amr/acr the approval earned. The session record names the requester (the browser, or the
 * device that used the device grant) and the approving device.
 */
export async function finishApprovedLogin(services: Services, ctx: Context, details: InteractionDetails, done: Approval): Promise<void> {
  const user = await confirmApprover(services, done);
  // A page that posts again (a lost redirect, a reload) gets the same result, counted once.
  const first = details.result?.login === undefined;
  const qrid: QridLoginDetails = { approvalId: done.id, deviceId: done.deviceId, userAgent: done.requesterUserAgent, ip: done.requesterIp };
  await finishInteraction(services, ctx, {
    // No amr at all rather than an empty list: a device's own session earns no method name.
    login: { accountId: user.id, ...(done.amr.length ? { amr: done.amr } : {}), acr: done.acr, ts: Math.floor(done.decidedAt / 1000), remember: true },
    qrid,
  });
  if (first) services.approvals.recordCompletion(done);
}
