import type { KoaContextWithOIDC } from 'oidc-provider';

import { respondWithError, storeUnavailable } from '../web/error-handler.js';
import { hasMessage } from '../i18n/catalogues.js';
import { localeOf } from '../i18n/locale.js';
import { StoreUnavailableError } from '../store/store.js';
import type { Views } from '../web/views.js';

/**
 * oidc-provider's own pages (errors it cannot redirect, logout), rendered with qrid's templates
 * and headers, in the person's language. A protocol error is told in plain words (the
 * catalogue's `protocol.<error>`), with what the person can do; the protocol's code and
 * description stay on the page for support.
 */
export function providerPages(views: Views, alwaysConfirmLogout: (clientId: string) => boolean) {
  return {
    async renderError(ctx: KoaContextWithOIDC, out: { error: string; error_description?: string }, error?: unknown) {
      if (error instanceof StoreUnavailableError) {
        respondWithError(ctx, views, storeUnavailable());
        return;
      }
      const { t } = localeOf(ctx);
      const known = hasMessage(`protocol.${out.error}`) ? out.error : 'other';
      views.render(ctx, 'error.njk', {
        title: t('protocol.title'),
        message: t(`protocol.${known}` as 'protocol.other'),
        next: t(`protocol.${known}.next` as 'protocol.other.next'),
        back: { href: '/', label: t('error.page.home') },
        code: out.error,
        detail: out.error_description,
        requestId: ctx.state?.requestId,
      });
    },
    async logoutSource(ctx: KoaContextWithOIDC, form: string) {
      if (logoutNeedsNoQuestion(ctx, alwaysConfirmLogout)) {
        // The app that signed this person in, in this very session, asks to sign them out and
        // says where to go next: the page signs out at once (a script submits the form; without
        // scripts, one button).
        views.render(ctx, 'logout-continue.njk', { form, clientName: ctx.oidc.client?.clientName ?? ctx.oidc.client?.clientId });
        return;
      }
      views.render(ctx, 'logout.njk', {
        // `form` is oidc-provider's own markup (hidden inputs and its CSRF secret), not user input.
        form,
        clientName: ctx.oidc.client?.clientName ?? ctx.oidc.client?.clientId,
      });
    },
    async postLogoutSuccessSource(ctx: KoaContextWithOIDC) {
      views.render(ctx, 'logged-out.njk', {
        clientName: ctx.oidc.client?.clientName ?? ctx.oidc.client?.clientId,
      });
    },
  };
}

/**
 * RP-initiated logout skips "Sign out?" only when oidc-provider has verified an `id_token_hint`
 * issued to the requesting client (signature, issuer, audience; it accepts expired hints), the
 * hint names the person signed in here (`sub`; oidc-provider does not compare it), that client
 * has a sign-in in this session, a hint carrying `sid` names this session's (clients with
 * back-channel logout get one), and the request names a `post_logout_redirect_uri`
 * (oidc-provider has checked that it is registered).
 */
export function logoutNeedsNoQuestion(ctx: KoaContextWithOIDC, alwaysConfirm: (clientId: string) => boolean): boolean {
  const { client, session, entities, params } = ctx.oidc;
  const hint = entities.IdTokenHint?.payload;
  if (!client || !session?.accountId || !hint || alwaysConfirm(client.clientId)) return false;
  if (typeof params?.post_logout_redirect_uri !== 'string' || !params.post_logout_redirect_uri) return false;
  if (hint.sub !== session.accountId || !session.authorizations?.[client.clientId]) return false;
  return hint.sid === undefined || hint.sid === session.sidFor(client.clientId);
}
