import type { Context } from 'koa';

import { approvalErrors } from '../approvals/approval-errors.js';
import type { Approval } from '../approvals/approval-record.js';
import { qrHandleApproval } from '../approvals/qr-handle.js';
import { approximateNetwork } from '../http/describe-client.js';
import { readForm } from '../http/read-form.js';
import type { Services } from '../services.js';
import { approvalAssurance, approvalPurpose, verificationNeeded } from './approval-assurance.js';
import { approvalDetails } from './approval-details.js';
import { prefetchedApproval } from './guess-guard.js';
import { numberChoices } from './number-choices.js';
import { currentDevice, deviceCsrfBinding, type SignedInDevice } from './device-session.js';
import { requireDevice } from './require-device.js';
import { clientAddress } from '../http/client-address.js';

export function handleParam(ctx: Context): string {
  const handle = String(ctx.params.handle ?? '');
  if (!qrHandleApproval(handle)) throw approvalErrors.unknownQr();
  return handle;
}

/**
 * GET/HEAD /q/:handle — what the phone sees after scanning. Side-effect free: scanners and
 * link previews fetch it too. The page's script then reports the scan with a POST.
 */
export function qrLanding(services: Services) {
  return async function showApproval(ctx: Context): Promise<void> {
    const handle = handleParam(ctx);
    const signedIn = await currentDevice(services, ctx);
    if (!signedIn) {
      ctx.type = 'html';
      ctx.body = services.views.render('phone-not-signed-in.njk', {});
      return;
    }
    const approval = await services.approvals.lookupHandle(handle, prefetchedApproval(ctx));
    if (approval.deviceId && approval.deviceId !== signedIn.device.id) throw approvalErrors.claimedElsewhere();
    await renderApprovalPage(services, ctx, signedIn, approval, `/q/${handle}`, `/q/${handle}/scan`);
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
  const verify = await verificationNeeded(services, signedIn);
  const matching = services.approvals.numberMatchingApplies(approval, clientAddress(ctx));
  ctx.type = 'html';
  ctx.body = services.views.render('phone-approve.njk', {
    ...(await approvalDetails(services, approval)),
    matching,
    choices: matching ? numberChoices(approval) : [],
    phoneNetwork: approximateNetwork(clientAddress(ctx)),
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
export function approvalPasskeyOptions(services: Services, find: (ctx: Context) => Promise<Approval>) {
  return async function passkeyOptions(ctx: Context): Promise<void> {
    const signedIn = await requireDevice(services, ctx, ctx.get('X-CSRF-Token'));
    const approval = await find(ctx);
    if (approval.deviceId && approval.deviceId !== signedIn.device.id) throw approvalErrors.claimedElsewhere();
    ctx.body = await services.passkeys.authenticationOptions(signedIn.device, approvalPurpose(approval));
  };
}

export const approvalByHandle = (services: Services) => (ctx: Context) => services.approvals.lookupHandle(handleParam(ctx), prefetchedApproval(ctx));

/** POST /q/:handle/scan — the phone page is open: the waiting browser shows "check your phone". */
export function reportScan(services: Services) {
  return async function scan(ctx: Context): Promise<void> {
    const handle = handleParam(ctx);
    const { device } = await requireDevice(services, ctx, ctx.get('X-CSRF-Token'));
    const approval = await services.approvals.claimHandle(handle, device.id, clientAddress(ctx), prefetchedApproval(ctx));
    ctx.body = { state: approval.state, decideBy: approval.decideBy };
  };
}

/** POST /q/:handle — Approve or Deny. The QR handle is used up by this request. */
export function decideByHandle(services: Services) {
  return async function decide(ctx: Context): Promise<void> {
    const handle = handleParam(ctx);
    const form = await readForm(ctx);
    const signedIn = await requireDevice(services, ctx, form.csrf);
    await services.limiter.hit('approval', { address: clientAddress(ctx) }, services.config.rate_limits.approval_per_ip);
    const pending = await services.approvals.lookupHandle(handle, prefetchedApproval(ctx));
    if (pending.deviceId && pending.deviceId !== signedIn.device.id) throw approvalErrors.claimedElsewhere();
    const assurance = await approvalAssurance(services, signedIn, pending, form);
    const approval = await services.approvals.decideByHandle(handle, decisionFrom(ctx, form, signedIn, assurance), pending);
    renderDecided(services, ctx, approval);
  };
}

export function decisionFrom(
  ctx: Context,
  form: Record<string, string>,
  signedIn: SignedInDevice,
  assurance: { amr: string[]; acr: string },
) {
  return {
    decision: form.decision === 'approve' ? ('approve' as const) : ('deny' as const),
    // The account is the device's owner: nothing in the request can name another.
    deviceId: signedIn.device.id,
    accountId: signedIn.user.id,
    amr: assurance.amr,
    acr: assurance.acr,
    ip: clientAddress(ctx),
    pickedNumber: /^\d{2}$/.test(form.number ?? '') ? Number(form.number) : undefined,
  };
}

export function renderDecided(services: Services, ctx: Context, approval: Approval): void {
  ctx.type = 'html';
  ctx.body = services.views.render('phone-decided.njk', { approved: approval.state === 'approved' });
}
