import { randomUUID } from 'node:crypto';

import type { Context, Next } from 'koa';

import type { Logger } from '../logging/logger.js';
import { type Metrics, routeGroup } from '../observability/metrics.js';
import { clientAddress } from './client-address.js';

/**
 * Paths whose second segment is a one-time secret (QR handle, enrollment token). Matched in any
 * letter case, although routes are case-sensitive (router.ts), so no variant is ever logged whole.
 */
const SECRET_SEGMENTS = /^\/+(q|enroll)\/+[^/]+/i;
/** A caller's request id is kept only if it is this plain (it goes into logs and a header). */
const REQUEST_ID = /^[\w-]{8,64}$/;

/** One structured line per request. Paths that carry a one-time secret are logged without it. */
export function redactPath(path: string): string {
  return path.replace(SECRET_SEGMENTS, (_, prefix: string) => `/${prefix}/:secret`);
}

export function requestLog(logger: Logger, metrics?: Metrics) {
  return async function logRequest(ctx: Context, next: Next): Promise<void> {
    const incoming = ctx.req.headers['x-request-id'];
    const requestId = typeof incoming === 'string' && REQUEST_ID.test(incoming) ? incoming : randomUUID();
    ctx.state.requestId = requestId;
    ctx.res.setHeader('X-Request-Id', requestId); // a plain id (checked above); Koa's ctx.set() would allocate per call
    const started = performance.now();
    try {
      await next();
    } finally {
      metrics?.requestDuration.observe(
        { route: routeGroup(ctx.path), method: ctx.method, status: `${Math.floor(ctx.status / 100)}xx` },
        (performance.now() - started) / 1000,
      );
      // Built only when it is written: most deployments log requests at info, the bench does not.
      if (logger.isLevelEnabled('info')) {
        logger.info(
          {
            requestId,
            method: ctx.method,
            path: redactPath(ctx.path),
            status: ctx.status,
            ms: Math.round((performance.now() - started) * 10) / 10,
            ip: clientAddress(ctx),
          },
          'request',
        );
      }
    }
  };
}
