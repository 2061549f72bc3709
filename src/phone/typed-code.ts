import type { Context } from 'koa';

import { approvalErrors } from '../approvals/approval-errors.js';
import { readForm } from '../http/read-form.js';
import { normalizeTypedCode } from '../security/tokens.js';
import type { Services } from '../services.js';
import { decisionFrom, renderApprovalPage, renderDecided } from './qr-landing.js';
import { approvalAssurance } from './approval-assurance.js';
import { requireDevice } from './require-device.js';
import { clientAddress } from '../http/client-address.js';

/** An approval's id is its interaction's uid (oidc-provider makes 21 base64url characters). */
const APPROVAL_ID = /^[A-Za-z0-9_-]{16,64}$/;

/**
 * POST /code — the typed fallback for people who cannot scan. Rate limited per IP before the
 * code is even looked at; a code works once and binds the request to this device.
 */
export function enterTypedCode(services: Services) {
  return async function typedCode(ctx: Context): Promise<void> {
    const form = await readForm(ctx);
    const signedIn = await requireDevice(services, ctx, form.csrf);
    const { limiter, config } = services;
    // Per address, per device and per account: a device that moves to another address (or an
    // account that adds devices) keeps the budget it has spent.
    await limiter.hit('typed-code', { address: clientAddress(ctx) }, config.rate_limits.typed_code_per_ip);
    await limiter.hit('typed-code', { device: signedIn.device.id }, config.rate_limits.typed_code_per_device);
    await limiter.hit('typed-code', { account: signedIn.user.id }, config.rate_limits.typed_code_per_account);
    await limiter.assertBudget('typed-code-failures', 'everyone', config.rate_limits.typed_code_failures_global);
    const code = normalizeTypedCode(form.code);
    let approval;
    try {
      if (!code) throw approvalErrors.wrongCode();
      approval = await services.approvals.claimTypedCode(code, signedIn.device.id, clientAddress(ctx));
    } catch (error) {
      await limiter.recordFailure('typed-code-failures', 'everyone');
      throw error;
    }
    await renderApprovalPage(services, ctx, signedIn, approval, `/approvals/${approval.id}`);
  };
}

/** POST /approvals/:id — Approve or Deny a request this device claimed with a typed code. */
export function decideClaimed(services: Services) {
  return async function decide(ctx: Context): Promise<void> {
    const form = await readForm(ctx);
    const signedIn = await requireDevice(services, ctx, form.csrf);
    await services.limiter.hit('approval', { address: clientAddress(ctx) }, services.config.rate_limits.approval_per_ip);
    const pending = await claimedApproval(services)(ctx);
    if (pending.deviceId !== signedIn.device.id) throw approvalErrors.claimedElsewhere();
    const assurance = await approvalAssurance(services, signedIn, pending, form);
    const approval = await services.approvals.decideClaimed(pending.id, decisionFrom(ctx, form, signedIn, assurance));
    renderDecided(services, ctx, approval);
  };
}

/** The approval an /approvals/:id route names. */
export const claimedApproval = (services: Services) => async (ctx: Context) => {
  const id = String(ctx.params.id ?? '');
  if (!APPROVAL_ID.test(id)) throw approvalErrors.notPending();
  const approval = await services.approvals.get(id);
  if (!approval) throw approvalErrors.expired();
  return approval;
};
