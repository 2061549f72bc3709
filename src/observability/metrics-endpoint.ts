import { timingSafeEqual } from 'node:crypto';

import type { Context, Next } from 'koa';

import type { Metrics } from './metrics.js';

/** GET /metrics in Prometheus text format; behind a bearer token when one is configured. */
export function metricsEndpoint(metrics: Metrics, token: string | undefined) {
  const expected = token ? Buffer.from(`Bearer ${token}`) : undefined;
  // The gate is not async: every other request passes straight on (one promise fewer each).
  return function serveMetrics(ctx: Context, next: Next): Promise<void> {
    return ctx.path === '/metrics' && ctx.method === 'GET' ? respond(ctx) : next();
  };
  async function respond(ctx: Context): Promise<void> {
    if (expected) {
      const given = Buffer.from(ctx.get('Authorization'));
      if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
        ctx.status = 401;
        ctx.set('WWW-Authenticate', 'Bearer');
        ctx.body = { error: 'unauthorized', error_description: 'metrics need the configured bearer token' };
        return;
      }
    }
    ctx.type = metrics.registry.contentType;
    ctx.body = await metrics.registry.metrics();
  }
}
