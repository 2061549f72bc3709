import type { Context } from 'koa';

import { approvalErrors } from '../approvals/approval-errors.js';
import { QridError } from '../errors/qrid-error.js';
import { localeOf } from '../i18n/locale.js';
import { renderPhoneHome } from './phone-home.js';
import { clientAddress } from '../web/client-address.js';
import { readForm } from '../web/read-form.js';
import { formatTypedCode, normalizeTypedCode } from '../security/tokens.js';
import { pendingUserCode, verificationPath } from '../provider/device-flow.js';
import type { Services } from '../services.js';
import { decisionFrom, renderApprovalPage, renderDecided } from './qr-landing.js';
import { requireDevice } from './require-device.js';

/** What a typed code can get wrong: the person sees it beside the field and types again. */
const CODE_PROBLEMS = new Set(['typed_code_invalid', 'qr_used', 'qr_expired', 'approval_expired', 'approval_not_pending', 'approval_claimed', 'decision_time_over']);

/**
 * POST /code — the typed fallback for people who cannot scan. Rate limited per address, per
 * device and per account before the code is even looked at; a code works once and binds the
 * request to this device.
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
    // A device the passkey policy keeps out is told so before its code is used up.
    await services.decisions.passkeyNeeded(signedIn.device, 'device-session');
    const code = normalizeTypedCode(form.code);
    let approval;
    try {
      if (!code) throw approvalErrors.wrongCode();
      approval = await services.decisions.claim({ typedCode: code }, signedIn, 'device-session', clientAddress(ctx));
    } catch (error) {
      if (!(error instanceof QridError) || !CODE_PROBLEMS.has(error.code)) throw error;
      // One alphabet, one field: a device grant's user code goes on to its verification.
      if (code && error.code === 'typed_code_invalid' && (await pendingUserCode(services.provider, code))) {
        ctx.status = 303;
        ctx.redirect(`${verificationPath(services.provider)}?user_code=${formatTypedCode(code)}`);
        return;
      }
      await limiter.recordFailure('typed-code-failures', 'everyone');
      // Back to the form, with what went wrong beside the field and the code as typed.
      const { t } = localeOf(ctx);
      ctx.status = error.status;
      const next = error.nextKey ? ` ${t(error.nextKey)}` : '';
      await renderPhoneHome(services, ctx, signedIn, { codeError: `${t(error.key, error.params)}${next}`, codeValue: String(form.code ?? '').slice(0, 12) });
      return;
    }
    await renderApprovalPage(services, ctx, signedIn, approval, `/approvals/${approval.id}`);
  };
}

/** POST /approvals/:id — Approve or Deny a request this device claimed with a typed code. */
export function decideClaimed(services: Services) {
  return async function decide(ctx: Context): Promise<void> {
    const form = await readForm(ctx);
    const signedIn = await requireDevice(services, ctx, form.csrf);
    const approval = await services.decisions.decide(decisionFrom(ctx, form, signedIn, claimedTarget(ctx)));
    renderDecided(services, ctx, approval);
  };
}

/** The request an /approvals/:id route names. */
export const claimedTarget = (ctx: Context) => ({ claimed: String(ctx.params.id ?? '') });
