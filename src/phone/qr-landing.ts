import type { Context } from 'koa';

import { approvalPurpose } from '../approvals/approval-policy.js';
import type { Approval } from '../approvals/approval-record.js';
import type { Approver, Target } from '../approvals/decide-approval.js';
import { readForm } from '../web/read-form.js';
import type { Services } from '../services.js';
import { approvalDetails } from '../web/approval-details.js';
import { numberChoices } from '../approvals/number-choices.js';
import { currentDevice, deviceCsrfBinding, type SignedInDevice } from './device-session.js';
import { requireDevice } from './require-device.js';
import { clientAddress } from '../web/client-address.js';

/** The handle as the URL gives it: a malformed one is an unknown QR, counted against the address's budget like any other. */
const byHandle = (ctx: Context): Target & { handle: string } => ({ handle: String(ctx.params.handle ?? '').slice(0, 200) });

/**
 * GET/HEAD /q/:handle — what the phone sees after scanning. Side-effect free: scanners and
 * link previews fetch it too. The page's script then reports the scan with a POST.
 */
export function qrLanding(services: Services) {
  return async function showApproval(ctx: Context): Promise<void> {
    const target = byHandle(ctx);
    const signedIn = await currentDevice(services, ctx);
    if (!signedIn) {
      services.views.render(ctx, 'phone-not-signed-in.njk');
      return;
    }
    const approval = await services.decisions.pending(target, signedIn, 'device-session', clientAddress(ctx));
    await renderApprovalPage(services, ctx, signedIn, approval, `/q/${target.handle}`, `/q/${target.handle}/scan`);
  };
}

export async function renderApprovalPage(
  services: Services,
  ctx: Context,
  signedIn: SignedInDevice,
  approval: Approval,
  action: string,
  scanUrl?: string,
): Promise<void> {
  const verify = await services.decisions.passkeyNeeded(signedIn.device, 'device-session', approval);
  const matching = services.approvals.numberMatchingApplies(approval, clientAddress(ctx));
  services.views.render(ctx, 'phone-approve.njk', {
    ...(await approvalDetails(services, ctx, approval)),
    matching,
    // A push sign-in: the number is typed, not picked (nothing on this phone came from the computer).
    numberTyped: approval.numberTyped,
    choices: matching && !approval.numberTyped ? numberChoices(approval) : [],
    user: signedIn.user,
    deviceName: signedIn.device.name,
    action,
    scanUrl,
    verify,
    fresh: approval.freshRequired,
    optionsUrl: `${action}/passkey-options`,
    csrf: services.csrf.token(deviceCsrfBinding(signedIn.device)),
  });
}

/** POST <action>/passkey-options — a WebAuthn challenge bound to this approval and device. */
export function approvalPasskeyOptions(services: Services, target: (ctx: Context) => Target & ({ handle: string } | { claimed: string })) {
  return async function passkeyOptions(ctx: Context): Promise<void> {
    const signedIn = await requireDevice(services, ctx, ctx.get('X-CSRF-Token'));
    const approval = await services.decisions.pending(target(ctx), signedIn, 'device-session', clientAddress(ctx));
    ctx.body = await services.passkeys.authenticationOptions(signedIn.device, approvalPurpose(approval));
  };
}

export const approvalByHandle = byHandle;

/** POST /q/:handle/scan — the phone page is open: the waiting browser shows "check your phone". */
export function reportScan(services: Services) {
  return async function scan(ctx: Context): Promise<void> {
    const target = byHandle(ctx);
    const signedIn = await requireDevice(services, ctx, ctx.get('X-CSRF-Token'));
    const approval = await services.decisions.claim(target, signedIn, 'device-session', clientAddress(ctx));
    ctx.body = { state: approval.state, decideBy: approval.decideBy };
  };
}

/** POST /q/:handle — Approve or Deny. The QR handle is used up by this request. */
export function decideByHandle(services: Services) {
  return async function decide(ctx: Context): Promise<void> {
    const target = byHandle(ctx);
    const form = await readForm(ctx);
    const signedIn = await requireDevice(services, ctx, form.csrf);
    const approval = await services.decisions.decide(decisionFrom(ctx, form, signedIn, target));
    renderDecided(services, ctx, approval);
  };
}

/** What the phone's form says, as the decide use case takes it. */
export function decisionFrom(ctx: Context, form: Record<string, string>, approver: Approver, target: Target & ({ handle: string } | { claimed: string })) {
  return {
    target,
    approver,
    decision: form.decision === 'approve' ? ('approve' as const) : ('deny' as const),
    proof: { kind: 'device-session' as const, ...(form.assertion ? { assertion: form.assertion } : {}) },
    ip: clientAddress(ctx),
    ...(/^\d{2}$/.test(form.number ?? '') ? { pickedNumber: Number(form.number) } : {}),
  };
}

export function renderDecided(services: Services, ctx: Context, approval: Approval): void {
  services.views.render(ctx, 'phone-decided.njk', { approved: approval.state === 'approved' });
}
