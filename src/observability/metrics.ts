import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';

/**
 * Prometheus metrics for one qrid process, in a registry of its own (several apps may share a
 * process in tests). Label values come from a fixed set, never from request input.
 */
export class Metrics {
  readonly registry = new Registry();
  readonly requestDuration = new Histogram({
    name: 'qrid_http_request_duration_seconds',
    help: 'HTTP request duration by route group, method and status class',
    labelNames: ['route', 'method', 'status'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [this.registry],
  });
  readonly logins = new Counter({
    name: 'qrid_logins_total',
    help: 'QR logins by outcome: started, scanned, approved, denied, expired, completed',
    labelNames: ['outcome'] as const,
    registers: [this.registry],
  });
  readonly approvalToCompletion = new Histogram({
    name: 'qrid_approval_to_completion_seconds',
    help: 'Time from the phone approving to the waiting browser completing the login',
    buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10],
    registers: [this.registry],
  });
  readonly openStreams = new Gauge({
    name: 'qrid_open_event_streams',
    help: 'Waiting pages with an open event stream on this instance',
    registers: [this.registry],
  });
  readonly storeErrors = new Counter({
    name: 'qrid_store_errors_total',
    help: 'Store operations that failed because the store was unreachable',
    registers: [this.registry],
  });
  readonly rateLimited = new Counter({
    name: 'qrid_rate_limited_total',
    help: 'Requests refused with 429, by bucket',
    labelNames: ['bucket'] as const,
    registers: [this.registry],
  });

  constructor(options: { defaultMetrics?: boolean } = {}) {
    // Node.js and process metrics (qrid_process_*, qrid_nodejs_*), as prom-client collects them.
    if (options.defaultMetrics !== false) collectDefaultMetrics({ register: this.registry, prefix: 'qrid_' });
  }
}

/** Route groups for the duration label: a bounded set, whatever the path. */
export function routeGroup(path: string): string {
  if (path.startsWith('/interaction/')) {
    const tail = path.split('/')[3];
    return tail ? `/interaction/:uid/${['events', 'status', 'qr', 'complete', 'consent', 'abort'].includes(tail) ? tail : 'other'}` : '/interaction/:uid';
  }
  if (path.startsWith('/q/')) return path.endsWith('/scan') ? '/q/:handle/scan' : '/q/:handle';
  if (path.startsWith('/enroll/')) return '/enroll/:token';
  if (path.startsWith('/approvals/')) return '/approvals/:id';
  if (path.startsWith('/auth/')) return '/auth/:uid';
  if (path.startsWith('/static/')) return '/static';
  const known = ['/', '/auth', '/token', '/me', '/jwks', '/token/revocation', '/token/introspection', '/session/end', '/session/end/confirm', '/session/end/success', '/.well-known/openid-configuration', '/phone', '/code', '/healthz', '/readyz', '/metrics', '/demo', '/demo/login', '/demo/callback', '/demo/logout'];
  return known.includes(path) ? path : 'other';
}
