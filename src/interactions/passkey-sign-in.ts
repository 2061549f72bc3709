import type Router from '@koa/router';

import { passkeyErrors } from '../accounts/passkeys.js';
import { QridError } from '../errors/qrid-error.js';
import type { Services } from '../services.js';
import { clientAddress } from '../web/client-address.js';
import { readForm } from '../web/read-form.js';
import { finishApprovedLogin } from './complete-login.js';
import { loadInteraction, requireInteractionCsrf } from './load-interaction.js';

/**
 * "Sign in with a passkey" on the QR page: a WebAuthn request for any qrid passkey (the browser
 * offers its own, or a phone nearby through its cross-device flow). A passkey belongs to the
 * device it was added on, so the assertion names that device, and the sign-in is that device's
 * approval, through the one decide use case: listed on its sessions, ended when it is removed.
 */
export function passkeySignInRoutes(services: Services, router: Router): void {
  const purpose = (uid: string) => `signin:${uid}`;

  router.post('/interaction/:uid/passkey-options', async (ctx) => {
    requireInteractionCsrf(services, ctx, ctx.get('X-CSRF-Token'));
    const details = await loadInteraction(services, ctx);
    ctx.body = await services.passkeys.discoverableOptions(purpose(details.uid));
  });

  router.post('/interaction/:uid/passkey', async (ctx) => {
    const form = await readForm(ctx);
    requireInteractionCsrf(services, ctx, form.csrf);
    const details = await loadInteraction(services, ctx);
    if (details.prompt.name !== 'login') throw new QridError(409, 'not_login');
    let response: unknown;
    try {
      response = JSON.parse(String(form.assertion ?? ''));
    } catch {
      throw passkeyErrors.failed('the response was malformed');
    }
    const check = await services.passkeys.verifyDiscoverable(purpose(details.uid), response);
    const device = await services.devices.find(check.deviceId);
    const user = device ? await services.users.findActive(device.userId) : undefined;
    if (!device || !user) throw passkeyErrors.failed('the device this passkey belongs to is no longer enrolled');
    const decided = await services.decisions.decideOnDevice({
      approvalId: details.uid,
      approver: { device, user },
      decision: 'approve',
      proof: { kind: 'passkey', check },
      ip: clientAddress(ctx),
    });
    await finishApprovedLogin(services, ctx, details, decided);
  });
}
