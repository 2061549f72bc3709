import type { Context } from 'koa';
import type { InteractionResults } from 'oidc-provider';

import { interactionErrors } from '../errors/interaction-errors.js';
import { forbidden } from '../errors/qrid-error.js';
import type { Services } from '../services.js';

export type InteractionDetails = Awaited<ReturnType<Services['provider']['interactionDetails']>>;

/**
 * The interaction this browser holds, found through oidc-provider's interaction cookie (never
 * through the URL alone): a browser without that cookie gets nothing, whatever uid it names.
 * oidc-provider's own interactionDetails() checks the cookie, the stored interaction, its expiry
 * and that a session it is bound to is still there.
 */
export async function loadInteraction(services: Services, ctx: Context): Promise<InteractionDetails> {
  const details = await services.provider.interactionDetails(ctx.req, ctx.res);
  if (details.uid !== ctx.params.uid) throw interactionErrors.mismatch();
  return details;
}

/**
 * For the waiting page's own requests (events, status, new QR): only that the browser holds
 * the interaction cookie for this uid, checked from the signed cookie itself. What they serve is
 * the approval (keyed by the same uid, with the interaction's lifetime), so the interaction
 * record itself is not needed.
 */
export function requireInteractionCookie(services: Services, ctx: Context): string {
  const uid = String(ctx.params.uid ?? '');
  const held = ctx.cookies.get(services.provider.cookieName('interaction'), { signed: true });
  if (!held) throw interactionErrors.notFound();
  if (held !== uid) throw interactionErrors.mismatch();
  return uid;
}

/**
 * Hands the result to oidc-provider (its interactionResult()) and sends the browser itself
 * (303) back to /auth to resume.
 */
export async function finishInteraction(
  services: Services,
  ctx: Context,
  result: InteractionResults,
  options: { mergeWithLastSubmission?: boolean } = {},
): Promise<void> {
  const returnTo = await services.provider.interactionResult(ctx.req, ctx.res, result, { mergeWithLastSubmission: options.mergeWithLastSubmission ?? false });
  ctx.status = 303;
  ctx.redirect(returnTo);
}

export function csrfBindingFor(uid: string): string {
  return `interaction:${uid}`;
}

/** The waiting browser's state-changing requests carry a token bound to their interaction. */
export function requireInteractionCsrf(services: Services, ctx: Context, token: unknown): void {
  if (!services.csrf.verify(csrfBindingFor(String(ctx.params.uid)), token)) throw forbidden('csrf_invalid', 'error.csrf_invalid.interaction');
}
