import type { Config } from '../config/schema.js';

/**
 * Where /metrics is served. Metrics say how many people sign in, when, and how the service is
 * doing; outside development they are never open to whoever can reach the public port:
 * - `listen` set: only on that listener of its own (main.ts), with the token if one is set;
 * - else a token set: on the main port, behind the token;
 * - else in development: on the main port, open;
 * - else: not served at all (start-up says how to turn them on).
 */
export type MetricsExposure =
  | { where: 'own-listener'; host: string; port: number; token: string | undefined }
  | { where: 'main-port'; token: string | undefined }
  | { where: 'off' };

export function metricsExposure(config: Pick<Config, 'metrics' | 'development'>): MetricsExposure {
  const { token, listen } = config.metrics;
  if (listen) {
    const colon = listen.lastIndexOf(':');
    return { where: 'own-listener', host: listen.slice(0, colon).replace(/^\[|\]$/g, ''), port: Number(listen.slice(colon + 1)), token };
  }
  if (token || config.development) return { where: 'main-port', token };
  return { where: 'off' };
}

/** One line for start-up: where metrics are, or how to turn them on. */
export function describeMetricsExposure(exposure: MetricsExposure, issuer: string): string {
  switch (exposure.where) {
    case 'own-listener':
      return `metrics: http://${exposure.host.includes(':') ? `[${exposure.host}]` : exposure.host}:${exposure.port}/metrics${exposure.token ? ' (bearer token required)' : ''}`;
    case 'main-port':
      return `metrics: ${issuer}/metrics${exposure.token ? ' (bearer token required)' : ' (open: development setup)'}`;
    case 'off':
      return 'metrics: off (set metrics.listen, e.g. 127.0.0.1:9464, or metrics.token to serve /metrics)';
  }
}
