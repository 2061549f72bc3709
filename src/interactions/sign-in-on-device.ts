import type Router from '@koa/router';
import type { Context } from 'koa';

import { approvalPurpose } from '../approvals/approval-policy.js';
import type { Approval } from '../approvals/approval-record.js';
import { approvalErrors } from '../approvals/approval-errors.js';
import { QridError } from '../errors/qrid-error.js';
import { localeOf } from '../i18n/locale.js';
import { currentDevice, type SignedInDevice } from '../phone/device-session.js';
import { notSignedIn } from '../phone/require-device.js';
import type { Services } from '../services.js';
import { approvalDetails } from '../web/approval-details.js';
import { clientAddress } from '../web/client-address.js';
import { readForm } from '../web/read-form.js';
import { finishApprovedLogin } from './complete-login.js';
import { csrfBindingFor, finishInteraction, loadInteraction, requireInteractionCsrf } from './load-interaction.js';

/**
 * The browser on the QR page is itself an enrolled device of an active user: it answers its
 * own request. For a browser sign-in that is "Sign in on this device" (no second channel, so
 * no `mca`); for a device grant's verification opened on the phone it is the approval screen of
 * the device that asked (the TV is the second device). Either way the one decide use case
 * (approvals/decide-approval.ts), with its passkey policy, step-up and rate limits.
 */
export function signInOnDeviceRoutes(services: Services, router: Router): void {
  router.post('/interaction/:uid/this-device', async (ctx) => {
    const form = await readForm(ctx);
    requireInteractionCsrf(services, ctx, form.csrf);
    const details = await loadInteraction(services, ctx);
    if (details.prompt.name !== 'login') throw new QridError(409, 'not_login');
    const signedIn = await currentDevice(services, ctx);
    if (!signedIn) throw notSignedIn();
    const decision = form.decision === 'deny' ? 'deny' : 'approve';
    const decided = await services.decisions.decideOnDevice({
      approvalId: details.uid,
      approver: signedIn,
      decision,
      proof: { kind: 'device-session', ...(form.assertion ? { assertion: form.assertion } : {}) },
      ip: clientAddress(ctx),
    });
    if (decided.state === 'approved') return finishApprovedLogin(services, ctx, details, decided);
    return finishInteraction(services, ctx, { error: 'access_denied', error_description: 'End-User denied the request' });
  });

  /** A WebAuthn challenge for this device's passkey, bound to this request. */
  router.post('/interaction/:uid/this-device/passkey-options', async (ctx) => {
    requireInteractionCsrf(services, ctx, ctx.get('X-CSRF-Token'));
    const details = await loadInteraction(services, ctx);
    const signedIn = await currentDevice(services, ctx);
    if (!signedIn) throw notSignedIn();
    const approval = await services.approvals.forInteraction(details.uid);
    if (!approval) throw approvalErrors.expired();
    ctx.body = await services.passkeys.authenticationOptions(signedIn.device, approvalPurpose(approval));
  });
}

/** What the QR page offers an enrolled device for a browser sign-in: sign in here, with a passkey or not, or why not. */
export async function thisDeviceOffer(services: Services, signedIn: SignedInDevice, approval: Approval, ctx: Context) {
  const name = signedIn.user.name || signedIn.user.username;
  try {
    return { name, verify: await services.decisions.passkeyNeeded(signedIn.device, 'device-session', approval) };
  } catch (error) {
    if (!(error instanceof QridError)) throw error;
    return { name, unavailable: localeOf(ctx).t(error.key, error.params) };
  }
}

/** The approval screen on the enrolled phone that opened a device grant's verification link. */
export async function renderApprovalOnDevice(services: Services, ctx: Context, signedIn: SignedInDevice, approval: Approval): Promise<void> {
  const verify = await services.decisions.passkeyNeeded(signedIn.device, 'device-session', approval);
  services.views.render(ctx, 'phone-approve.njk', {
    ...(await approvalDetails(services, ctx, approval)),
    matching: false,
    choices: [],
    user: signedIn.user,
    deviceName: signedIn.device.name,
    action: `/interaction/${approval.uid}/this-device`,
    verify,
    fresh: approval.freshRequired,
    optionsUrl: `/interaction/${approval.uid}/this-device/passkey-options`,
    csrf: services.csrf.token(csrfBindingFor(approval.uid)),
  });
}
