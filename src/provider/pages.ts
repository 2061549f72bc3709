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
export function providerPages(views: Views) {
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
