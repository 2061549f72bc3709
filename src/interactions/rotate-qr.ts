import type { Context } from 'koa';

import { forbidden } from '../errors/qrid-error.js';
import { clientAddress } from '../web/client-address.js';
import type { Services } from '../services.js';
import { csrfBindingFor, requireInteractionCookie } from './load-interaction.js';
import { qrView, typedCodeChoice } from './qr-page.js';

/** POST /interaction/:uid/qr[?typed_code=new|keep] — a fresh QR for the open page (rotation, "more time", "try again", a code to type). */
export function rotateQr(services: Services) {
  return async function rotate(ctx: Context): Promise<void> {
    const uid = String(ctx.params.uid);
    if (!services.csrf.verify(csrfBindingFor(uid), ctx.get('X-CSRF-Token'))) throw forbidden('csrf_invalid');
    requireInteractionCookie(services, ctx);
    await services.limiter.hit('qr', { address: clientAddress(ctx) }, services.config.rate_limits.qr_per_ip);
    const approval = await services.approvals.forInteraction(uid);
    if (!approval) {
      ctx.body = { state: 'expired' };
      return;
    }
    const { approval: current, qr } = await services.approvals.issueQr(approval.id, { typedCode: typedCodeChoice(ctx) });
    ctx.body = await qrView(services, ctx, current, qr);
  };
}
