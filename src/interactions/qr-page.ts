import type { Context } from 'koa';

import type { Approval } from '../approvals/approval-record.js';
import type { IssuedQr } from '../approvals/approval-engine.js';
import { QridError } from '../errors/qrid-error.js';
import type { Services } from '../services.js';
import { renderConsent } from './consent.js';
import { csrfBindingFor, loadInteraction } from './load-interaction.js';
import { qrSvg } from './qr-image.js';
import { clientAddress } from '../http/client-address.js';

/** GET /interaction/:uid — the QR page (login prompt) or the consent page. */
export function qrPage(services: Services) {
  return async function showInteraction(ctx: Context): Promise<void> {
    const details = await loadInteraction(services, ctx);
    const clientId = String(details.params.client_id);
    const client = await services.provider.Client.find(clientId);
    if (!client) throw new QridError(400, 'unknown_client', 'The app that sent you here is not registered.');

    if (details.prompt.name === 'consent') return renderConsent(services, ctx, details, client);
    if (details.prompt.name !== 'login') {
      throw new QridError(400, 'unsupported_prompt', 'This sign-in needs a step qrid does not offer.');
    }

    await services.limiter.hit('qr', { address: clientAddress(ctx) }, services.config.rate_limits.qr_per_ip);
    const withTypedCode = wantsTypedCode(ctx);
    const { approval, qr } = await services.approvals.start(
      {
        uid: details.uid,
        clientId,
        expiresAt: details.exp * 1000,
        ip: clientAddress(ctx),
        userAgent: ctx.get('User-Agent'),
        // prompt=login or an exceeded max_age: an old verification does not count.
        freshRequired: details.prompt.reasons.some((r) => r === 'login_prompt' || r === 'max_age') || details.params.max_age !== undefined,
      },
      { withTypedCode },
    );
    // This browser already holds someone's qrid session (prompt=login, max_age, another user):
    // say whose, so a person on a shared computer notices it is not theirs.
    const signedInAs = details.session?.accountId ? await services.users.find(details.session.accountId) : undefined;
    ctx.type = 'html';
    ctx.body = services.views.render('qr.njk', {
      uid: details.uid,
      clientName: client.clientName ?? clientId,
      csrf: services.csrf.token(csrfBindingFor(details.uid)),
      ...(await qrView(services, approval, qr)),
      autoRotations: services.config.qr.auto_rotations,
      interactionExpiresAt: approval.expiresAt,
      phoneUrl: `${services.config.issuer}/phone`,
      typedCodeUrl: `/interaction/${details.uid}?typed_code=1`,
      serverNow: Date.now(),
      signedInAs: signedInAs ? signedInAs.name || signedInAs.username : undefined,
    });
  };
}

/**
 * `?typed_code=1`: the person cannot scan and asked for a code to type (the page's "Can't
 * scan?" link, or its script when rotating a QR whose code is shown). Codes are made only on
 * request: each live code is one more target for guessing, and most people scan.
 */
export function wantsTypedCode(ctx: Context): boolean {
  return ctx.query.typed_code === '1';
}

/** What the page shows for the current approval state (shared with the rotation endpoint). */
export async function qrView(services: Services, approval: Approval, qr: IssuedQr | undefined) {
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
    qrSvg: url ? await qrSvg(url) : undefined,
    typedCode: qr?.typedCode,
  };
}
