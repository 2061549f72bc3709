import type { Context } from 'koa';
import type { Client } from 'oidc-provider';

import type { Approval } from '../approvals/approval-record.js';
import type { IssuedQr, TypedCodeChoice } from '../approvals/approval-engine.js';
import { QridError } from '../errors/qrid-error.js';
import { clientAddress } from '../web/client-address.js';
import { localeOf } from '../i18n/locale.js';
import type { Services } from '../services.js';
import { renderConsent } from './consent.js';
import { csrfBindingFor, finishInteraction, type InteractionDetails, loadInteraction } from './load-interaction.js';
import { acrRequest } from '../provider/assurance.js';
import { deviceRequestOf } from '../provider/device-flow.js';
import { currentDevice } from '../phone/device-session.js';
import { renderApprovalOnDevice, thisDeviceOffer } from './sign-in-on-device.js';
import { qrSvg } from '../web/qr-image.js';

/** GET /interaction/:uid — the QR page (login prompt) or the consent page. */
export function qrPage(services: Services) {
  return async function showInteraction(ctx: Context): Promise<void> {
    const details = await loadInteraction(services, ctx);
    const clientId = String(details.params.client_id);
    const client = await services.provider.Client.find(clientId);
    if (!client) throw new QridError(400, 'unknown_client');

    if (details.prompt.name === 'consent') return renderConsent(services, ctx, details, client);
    if (details.prompt.name !== 'login') throw new QridError(400, 'unsupported_prompt');

    // An essential acr qrid cannot meet: the app learns so at once (a QR could never satisfy it).
    const acr = acrRequest(details.params);
    if (acr.unmeetable) {
      await finishInteraction(services, ctx, { error: 'unmet_authentication_requirements', error_description: 'none of the requested acr values is offered' });
      return;
    }
    await services.limiter.hit('qr', { address: clientAddress(ctx) }, services.config.rate_limits.qr_per_ip);
    // A device grant's verification: what asked is the device (a TV, a terminal), not this browser.
    const device = await deviceRequestOf(services.provider, details);
    const { approval, qr } = await services.approvals.start(
      {
        kind: device ? 'device-code' : 'browser',
        uid: details.uid,
        clientId,
        expiresAt: device ? Math.min(details.exp * 1000, device.expiresAt) : details.exp * 1000,
        ...(device
          ? { deviceCode: device.deviceCode, ip: device.ip, userAgent: device.userAgent, requestedAt: device.requestedAt }
          : { ip: clientAddress(ctx), userAgent: ctx.get('User-Agent') }),
        // prompt=login or an exceeded max_age: an old verification does not count.
        freshRequired: details.prompt.reasons.some((r) => r === 'login_prompt' || r === 'max_age') || details.params.max_age !== undefined,
        acrValues: acr.values,
      },
      { typedCode: typedCodeChoice(ctx) },
    );
    // This browser is an enrolled device: it may answer the request itself. For a device grant
    // opened on the phone, that is the whole point: show the approval screen, not a QR.
    const thisDevice = await currentDevice(services, ctx);
    if (thisDevice && approval.kind === 'device-code') {
      await renderApprovalOnDevice(services, ctx, thisDevice, approval);
      return;
    }
    // This browser already holds someone's qrid session (prompt=login, max_age, another user):
    // say whose, so a person on a shared computer notices it is not theirs.
    const signedInAs = details.session?.accountId ? await services.users.find(details.session.accountId) : undefined;
    services.views.render(ctx, 'qr.njk', {
      uid: details.uid,
      clientName: client.clientName ?? clientId,
      csrf: services.csrf.token(csrfBindingFor(details.uid)),
      ...(await qrView(services, ctx, approval, qr)),
      autoRotations: services.config.qr.auto_rotations,
      interactionExpiresAt: approval.expiresAt,
      phoneUrl: `${services.config.issuer}/phone`,
      typedCodeUrl: `/interaction/${details.uid}?typed_code=1`,
      typedCodeMinutes: Math.round(Math.min(services.config.qr.typed_code_seconds, services.config.ttl.interaction) / 60),
      restartUrl: restartUrl(services, details),
      appUrl: appUrl(client),
      serverNow: Date.now(),
      signedInAs: signedInAs ? signedInAs.name || signedInAs.username : undefined,
      thisDevice: thisDevice ? await thisDeviceOffer(services, thisDevice, approval, ctx) : undefined,
      pushSignIn: services.config.push.sign_in && approval.kind === 'browser',
      pushSent: typeof ctx.query.pushed === 'string' ? ctx.query.pushed.slice(0, 64) : undefined,
    });
  };
}

/**
 * `?typed_code=…`: the person cannot scan and asked for a code to type (the page's "Can't
 * scan?", or its script when a new QR comes while a code is shown: `keep`, since the person may
 * be typing it). Codes are made only on request: each live code is one more target for
 * guessing, and most people scan. A page load cannot show an earlier code (only its hash is
 * kept), so `1` makes a new one.
 */
export function typedCodeChoice(ctx: Context): TypedCodeChoice {
  const asked = ctx.query.typed_code;
  if (asked === 'keep') return 'keep';
  return asked === '1' || asked === 'new' ? 'new' : 'none';
}

/**
 * "Start the sign-in again" once this one expired: the same authorization request again (the
 * app's own parameters, which were in this browser's address bar), so the app receives one
 * answer to the request it made and the person need not go back to it.
 */
function restartUrl(services: Services, details: InteractionDetails): string {
  const params = new URLSearchParams();
  for (const [name, value] of Object.entries(details.params)) if (typeof value === 'string') params.set(name, value);
  return `${new URL(services.provider.urlFor('authorization')).pathname}?${params.toString()}`;
}

/** The app's home, as far as qrid knows it: the origin of its first redirect URI. */
function appUrl(client: Client): string | undefined {
  const first = client.redirectUris?.[0];
  return first ? new URL(first).origin : undefined;
}

/** What the page shows for the current approval state (shared with the rotation endpoint). */
export async function qrView(services: Services, ctx: Context, approval: Approval, qr: IssuedQr | undefined) {
  const status = services.approvals.status(approval);
  const url = qr ? `${services.config.issuer}/q/${qr.handle}` : undefined;
  return {
    state: status.state,
    decideBy: status.decideBy ?? 0,
    // The number to pick on the phone, once scanned from another network: the page shows it
    // itself, since its event stream sends only what changed after the page was rendered.
    number: status.number,
    handleExpiresAt: qr?.handleExpiresAt ?? status.handleExpiresAt ?? 0,
    qrUrl: url,
    qrSvg: url ? await qrSvg(url, localeOf(ctx).t('qr.svg_label')) : undefined,
    typedCode: qr?.typedCode,
  };
}
