import type { KoaContextWithOIDC } from 'oidc-provider';

import { respondWithError, storeUnavailable } from '../errors/error-handler.js';
import { StoreUnavailableError } from '../store/store.js';
import type { Views } from '../views/views.js';

/** oidc-provider's own pages (errors, logout), rendered with qrid's templates and headers. */
export function providerPages(views: Views) {
  return {
    async renderError(ctx: KoaContextWithOIDC, out: { error: string; error_description?: string }, error?: unknown) {
      if (error instanceof StoreUnavailableError) {
        respondWithError(ctx, views, storeUnavailable());
        return;
      }
      ctx.type = 'html';
      ctx.body = views.render('error.njk', {
        title: 'Sign-in could not continue',
        message: out.error_description ?? 'The request was not valid.',
        code: out.error,
        requestId: ctx.state?.requestId,
      });
    },
    async logoutSource(ctx: KoaContextWithOIDC, form: string) {
      ctx.type = 'html';
      ctx.body = views.render('logout.njk', {
        // `form` is oidc-provider's own markup (hidden inputs and its CSRF secret), not user input.
        form,
        clientName: ctx.oidc.client?.clientName ?? ctx.oidc.client?.clientId,
      });
    },
    async postLogoutSuccessSource(ctx: KoaContextWithOIDC) {
      ctx.type = 'html';
      ctx.body = views.render('logged-out.njk', {
        clientName: ctx.oidc.client?.clientName ?? ctx.oidc.client?.clientId,
      });
    },
  };
}
