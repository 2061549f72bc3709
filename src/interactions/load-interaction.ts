import type { Context } from 'koa';
import type { InteractionResults } from 'oidc-provider';

import { interactionErrors } from '../errors/interaction-errors.js';
import { forbidden } from '../errors/qrid-error.js';
import type { Services } from '../services.js';

export type InteractionDetails = Awaited<ReturnType<Services['provider']['interactionDetails']>>;

/**
 * The interaction this browser holds, found through oidc-provider's interaction cookie (never
 * through the URL alone): a browser without that cookie gets nothing, whatever uid it names.
 */
export async function loadInteraction(services: Services, ctx: Context): Promise<InteractionDetails> {
  const details = await services.provider.interactionDetails(ctx.req, ctx.res);
  if (details.uid !== ctx.params.uid) throw interactionErrors.mismatch();
  return details;
}

/**
 * For the waiting page's own requests (events, status, new QR): only that the browser holds
 * the interaction cookie for this uid, checked from the signed cookie itself, with no store
 * read. What they serve is the approval (keyed by the same uid, with the interaction's
 * lifetime), so the interaction record itself is not needed.
 */
export function requireInteractionCookie(services: Services, ctx: Context): string {
  const uid = String(ctx.params.uid ?? '');
  const held = ctx.cookies.get(services.provider.cookieName('interaction'), { signed: true });
  if (!held) throw interactionErrors.notFound();
  if (held !== uid) throw interactionErrors.mismatch();
  return uid;
}

/**
 * Hands the result to oidc-provider and sends the browser itself (303) back to /auth. Works on
 * the interaction the route already loaded: oidc-provider's own interactionResult() would read
 * it from the store a second time. What it writes is what interactionResult() writes.
 */
export async function finishInteraction(
  ctx: Context,
  interaction: InteractionDetails,
  result: InteractionResults,
  options: { mergeWithLastSubmission?: boolean } = {},
): Promise<void> {
  interaction.result = options.mergeWithLastSubmission && !('error' in result) ? { ...interaction.lastSubmission, ...result } : result;
  await interaction.save(Math.max(1, interaction.exp - Math.floor(Date.now() / 1000)));
  ctx.status = 303;
  ctx.redirect(interaction.returnTo);
}

export function csrfBindingFor(uid: string): string {
  return `interaction:${uid}`;
}

/** The waiting browser's state-changing requests carry a token bound to their interaction. */
export function requireInteractionCsrf(services: Services, ctx: Context, token: unknown): void {
  if (!services.csrf.verify(csrfBindingFor(String(ctx.params.uid)), token)) {
    throw forbidden('csrf_invalid', 'This page is out of date. Go back to the app and start again.');
  }
}
