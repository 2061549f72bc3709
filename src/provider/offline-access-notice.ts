import type { Middleware } from 'koa';

import type { Logger } from '../logging/logger.js';

/**
 * OpenID Connect grants `offline_access` only together with `prompt=consent`, and oidc-provider
 * drops it silently otherwise: the app then runs without refresh tokens and nobody is told why.
 * This says so in the log, naming the client, whenever an authorization request asks for
 * `offline_access` without `prompt=consent`.
 */
export function offlineAccessNotice(logger: Logger, authorizationPath: string): Middleware {
  return async (ctx, next) => {
    if (ctx.method === 'GET' && ctx.path === authorizationPath) {
      const scope = typeof ctx.query.scope === 'string' ? ctx.query.scope.split(' ') : [];
      const prompt = typeof ctx.query.prompt === 'string' ? ctx.query.prompt.split(' ') : [];
      if (scope.includes('offline_access') && !prompt.includes('consent')) {
        logger.warn(
          { event: 'offline_access.dropped', clientId: typeof ctx.query.client_id === 'string' ? ctx.query.client_id.slice(0, 200) : undefined },
          'offline_access asked without prompt=consent: no refresh token that outlives the sign-in (OpenID Connect Core 11); send prompt=consent with it',
        );
      }
    }
    await next();
  };
}
