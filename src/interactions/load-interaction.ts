import type { Context } from 'koa';
import type { AdapterPayload, InteractionResults } from 'oidc-provider';

import { modelKey, modelPayload } from '../adapters/oidc-adapter.js';
import { interactionErrors } from '../errors/interaction-errors.js';
import { forbidden } from '../errors/qrid-error.js';
import type { Services } from '../services.js';
import type { Fields } from '../store/store.js';

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

/** What oidc-provider's models do to a stored payload in find(): check it (format, expiry), then build the instance. */
interface ModelStatics {
  verify(stored: AdapterPayload): Promise<AdapterPayload>;
  instantiate(payload: AdapterPayload): InteractionDetails;
}

/**
 * loadInteraction with more records read in the same round trip: the completion route reads the
 * approval and its decision (keyed by the same uid) with the interaction, one command. What
 * it checks is what interactionDetails() checks: the signed interaction cookie names this
 * interaction; the stored payload passes oidc-provider's own model checks (format, expiry); an
 * interaction bound to a session needs that session, still for the same account.
 */
export async function loadInteractionWith(
  services: Services,
  ctx: Context,
  otherKeys: (uid: string) => string[],
): Promise<{ details: InteractionDetails; others: (Fields | undefined)[] }> {
  const uid = requireInteractionCookie(services, ctx);
  const [record, ...others] = await services.store.getRecords([modelKey('Interaction', uid), ...otherKeys(uid)]);
  const stored = modelPayload(record);
  const model = services.provider.Interaction as unknown as ModelStatics;
  let details: InteractionDetails | undefined;
  try {
    details = stored ? model.instantiate(await model.verify(stored)) : undefined;
  } catch {
    details = undefined; // expired or malformed: as oidc-provider's find() treats it
  }
  if (!details) throw interactionErrors.notFound();
  if (details.session?.uid) {
    const session = await services.provider.Session.findByUid(details.session.uid);
    if (!session || session.accountId !== details.session.accountId) throw interactionErrors.notFound();
  }
  return { details, others };
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
    throw forbidden('csrf_invalid', 'error.csrf_invalid.interaction');
  }
}
