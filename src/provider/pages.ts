import type { KoaContextWithOIDC } from 'oidc-provider';

import { StoreUnavailableError } from '../store/store.js';
import type { Views } from '../views/views.js';

/** oidc-provider's own pages (errors, logout), rendered with qrid's templates and headers. */
export function providerPages(views: Views) {
  return {
    async renderError(ctx: KoaContextWithOIDC, out: { error: string; error_description?: string }, error?: unknown) {
      ctx.type = 'html';
      if (error instanceof StoreUnavailableError) {
        ctx.status = 503;
        ctx.set('Retry-After', '5');
        out = { error: 'temporarily_unavailable', error_description: 'qrid cannot reach its data store right now. Please try again in a moment.' };
      }
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
