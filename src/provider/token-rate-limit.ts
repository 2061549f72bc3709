import type { Context, Next } from 'koa';

import { QridError } from '../errors/qrid-error.js';
import type { Services } from '../services.js';
import { clientAddress } from '../web/client-address.js';

/**
 * Runs inside oidc-provider (provider.use): the token endpoint, per client IP. Over the limit
 * the caller gets 429 with Retry-After and an OAuth-style JSON body.
 */
export function tokenRateLimit(services: Services) {
  const tokenPath = new URL(services.provider.urlFor('token')).pathname;
  return async function limitTokenRequests(ctx: Context, next: Next): Promise<void> {
    if (ctx.method === 'POST' && ctx.path === tokenPath) {
      try {
        await services.limiter.hit('token', { address: clientAddress(ctx) }, services.config.rate_limits.token_per_ip);
      } catch (error) {
        if (!(error instanceof QridError) || error.status !== 429) throw error;
        ctx.status = 429;
        for (const [name, value] of Object.entries(error.headers)) ctx.set(name, value);
        ctx.set('Cache-Control', 'no-store');
        ctx.body = { error: 'rate_limited', error_description: error.message };
        return;
      }
    }
    await next();
  };
}
