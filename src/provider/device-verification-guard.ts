import type { Middleware } from 'koa';

import { interactionErrors } from '../errors/interaction-errors.js';
import type { Services } from '../services.js';
import { respondWithError } from '../web/error-handler.js';
import { verificationPath } from './device-flow.js';

/**
 * oidc-provider 9 answers two kinds of stray request to the device grant's verification pages
 * with a 500, failing while it handles the error (it saves a browser session it never created):
 * a `POST /device` from a browser without its session cookie, and a `GET /device/<anything>`
 * it cannot resume. Only requests oidc-provider itself set up reach it here: the POST with its
 * signed session cookie (set by `GET /device`, whose form the POST sends), the resume with its
 * signed resume cookie naming that uid. Anything else gets qrid's "sign-in not found" (400).
 * `src/provider/device-verification-guard.test.ts` fails once oidc-provider handles these itself,
 * and this file can go.
 */
export function deviceVerificationGuard(services: Pick<Services, 'provider' | 'views'>): Middleware {
  const path = verificationPath(services.provider);
  const resumePrefix = `${path}/`;
  return async (ctx, next) => {
    const signed = (type: string) => ctx.cookies.get(services.provider.cookieName(type), { signed: true });
    const stray =
      (ctx.method === 'POST' && ctx.path === path && !signed('session')) ||
      ((ctx.method === 'GET' || ctx.method === 'HEAD') && ctx.path.startsWith(resumePrefix) && signed('resume') !== ctx.path.slice(resumePrefix.length));
    if (stray) {
      respondWithError(ctx, services.views, interactionErrors.notFound());
      return;
    }
    await next();
  };
}
