import type { Context, Next } from 'koa';

import { forbidden } from '../errors/qrid-error.js';

/**
 * Refuses state-changing requests that a browser says came from another site. This stands
 * beside the CSRF token, not instead of it: requests without these headers (non-browsers)
 * still need a valid token.
 *
 * `Sec-Fetch-Site` decides when present. Our pages send `Referrer-Policy: no-referrer`, under
 * which browsers send `Origin: null` on form posts, so `Origin` alone cannot prove
 * same-origin; a `null` Origin is accepted only together with `Sec-Fetch-Site: same-origin`.
 */
export function requireSameOrigin(issuer: string) {
  const origin = new URL(issuer).origin;
  return async function checkSameOrigin(ctx: Context, next: Next): Promise<void> {
    if (ctx.method !== 'GET' && ctx.method !== 'HEAD') {
      const site = ctx.get('Sec-Fetch-Site');
      if (site && site !== 'same-origin') {
        throw forbidden('cross_site_request');
      }
      const from = ctx.get('Origin');
      if (from && from !== origin && !(from === 'null' && site === 'same-origin')) {
        throw forbidden('cross_site_request');
      }
    }
    await next();
  };
}
