import type { Context, Next } from 'koa';

import { respondWithError, storeUnavailable } from './error-handler.js';
import type { Store } from '../store/store.js';
import type { Views } from './views.js';

/** Paths that must answer even while the store is down (probes, metrics, assets). */
const ALWAYS = /^\/(healthz|readyz|metrics|static\/)/;

/**
 * While the store is known to be unreachable every other request gets a clear 503 at once,
 * including oidc-provider's endpoints, which would otherwise answer with a generic 500.
 */
export function storeGuard(store: Store, views: Views) {
  // Not async: while the store is up every request passes straight on (one promise fewer each).
  return function guardStore(ctx: Context, next: Next): Promise<void> | undefined {
    if (!store.available() && !ALWAYS.test(ctx.path)) {
      respondWithError(ctx, views, storeUnavailable());
      return undefined;
    }
    return next();
  };
}
