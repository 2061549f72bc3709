import type { Context } from 'koa';
import type { Client } from 'oidc-provider';

import { QridError } from '../errors/qrid-error.js';
import { readForm } from '../web/read-form.js';
import { hasMessage, type MessageKey } from '../i18n/catalogues.js';
import { localeOf } from '../i18n/locale.js';
import type { Services } from '../services.js';
import { csrfBindingFor, finishInteraction, requireInteractionCsrf, type InteractionDetails, loadInteraction } from './load-interaction.js';

/**
 * The consent page: what the app asks for, in plain words, with Allow and Deny side by side.
 * The answer is remembered for the account (accounts/consents.ts) until taken back on the phone.
 */
export async function renderConsent(services: Services, ctx: Context, details: InteractionDetails, client: Client): Promise<void> {
  const { t } = localeOf(ctx);
  const promptDetails = details.prompt.details as { missingOIDCScope?: string[]; missingOIDCClaims?: string[] };
  const scopes = (promptDetails.missingOIDCScope ?? []).filter((s) => s !== 'openid');
  services.views.render(ctx, 'consent.njk', {
    uid: details.uid,
    clientName: client.clientName ?? client.clientId,
    requests: scopes.map((scope) => (hasMessage(`consent.scope.${scope}`) ? t(`consent.scope.${scope}` as MessageKey) : scope)),
    // offline_access is what outlives the sign-in: say so in plain words.
    refreshNote: scopes.includes('offline_access') ? t('consent.refresh_note', { app: client.clientName ?? client.clientId }) : undefined,
    csrf: services.csrf.token(csrfBindingFor(details.uid)),
  });
}

/** POST /interaction/:uid/consent — records the grant (or the refusal) and resumes. */
export function submitConsent(services: Services) {
  return async function consent(ctx: Context): Promise<void> {
    const form = await readForm(ctx);
    requireInteractionCsrf(services, ctx, form.csrf);
    const details = await loadInteraction(services, ctx);
    if (details.prompt.name !== 'consent') {
      throw new QridError(409, 'not_consent');
    }
    if (form.decision !== 'allow') {
      return finishInteraction(services, ctx, { error: 'access_denied', error_description: 'End-User denied the request' });
    }
    const accountId = details.session?.accountId;
    if (!accountId) throw new QridError(409, 'not_signed_in');
    const clientId = String(details.params.client_id);
    const { Grant } = services.provider;
    const grant = (details.grantId ? await Grant.find(details.grantId) : undefined) ?? new Grant({ accountId, clientId });
    const promptDetails = details.prompt.details as { missingOIDCScope?: string[]; missingOIDCClaims?: string[] };
    if (promptDetails.missingOIDCScope?.length) grant.addOIDCScope(promptDetails.missingOIDCScope.join(' '));
    if (promptDetails.missingOIDCClaims?.length) grant.addOIDCClaims(promptDetails.missingOIDCClaims);
    const grantId = await grant.save();
    await services.consents.remember(accountId, clientId, { scopes: promptDetails.missingOIDCScope ?? [], claims: promptDetails.missingOIDCClaims ?? [] });
    // Merged with the login of the same authorization request: with prompt=login the provider
    // would otherwise ask for the login again after consent, forever.
    return finishInteraction(services, ctx, { consent: { grantId } }, { mergeWithLastSubmission: true });
  };
}

/** POST /interaction/:uid/abort — the person cancels; the app receives access_denied. */
export function abortInteraction(services: Services) {
  return async function abort(ctx: Context): Promise<void> {
    const form = await readForm(ctx);
    requireInteractionCsrf(services, ctx, form.csrf);
    const details = await loadInteraction(services, ctx);
    await services.approvals.withdraw(details.uid);
    return finishInteraction(services, ctx, { error: 'access_denied', error_description: 'End-User aborted the sign-in' });
  };
}
