
import { QridError } from '../errors/qrid-error.js';
import type { Services } from '../services.js';
import { clientAddress } from '../web/client-address.js';
import { respondWithError } from '../web/error-handler.js';
import { verificationPath } from './device-flow.js';
import type { ProviderMiddleware } from './provider-middleware.js';

/**
 * Guessing limits on the device grant's verification page, shared with qrid's typed codes (one
 * alphabet, one budget; the arithmetic is in SECURITY.md): wrong codes per client address, and
 * wrong codes from all addresses together. Runs inside oidc-provider (`provider.use`). Wrong
 * codes rather than every submission, because the step that confirms a right code is a POST to
 * the same page, which cannot be told apart before oidc-provider has read the form.
 */
export function userCodeLimits(services: Pick<Services, 'limiter' | 'config' | 'views' | 'provider'>): ProviderMiddleware {
  const path = verificationPath(services.provider);
  const { limiter, config } = services;
  return async (ctx, next) => {
    const submitting = ctx.method === 'POST' && ctx.path === path;
    if (submitting) {
      try {
        await limiter.assertBudget('typed-code-failures', { address: clientAddress(ctx) }, config.rate_limits.typed_code_per_ip);
        await limiter.assertBudget('typed-code-failures', 'everyone', config.rate_limits.typed_code_failures_global);
      } catch (error) {
        if (!(error instanceof QridError)) throw error;
        respondWithError(ctx, services.views, error);
        return;
      }
    }
    await next();
    const params = ctx.oidc?.params;
    // A code typed in that named no waiting device request is a wrong one.
    if (!submitting || ctx.oidc?.route !== 'code_verification' || !params?.user_code || params.confirm || params.abort) return;
    if (ctx.oidc.entities.DeviceCode) return;
    await limiter.recordFailure('typed-code-failures', { address: clientAddress(ctx) });
    await limiter.recordFailure('typed-code-failures', 'everyone');
  };
}
