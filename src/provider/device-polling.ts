import type { Middleware } from 'koa';
import type { KoaContextWithOIDC } from 'oidc-provider';

import type { Config } from '../config/schema.js';
import { hashSecret } from '../security/tokens.js';
import type { Store } from '../store/store.js';

export const DEVICE_CODE_GRANT = 'urn:ietf:params:oauth:grant-type:device_code';
/** A poll this much early still counts as on time (timers and networks are not exact). */
const TOLERANCE_MS = 250;
const pollKey = (deviceCode: string) => `device-poll:${hashSecret(deviceCode)}`;

/**
 * RFC 8628's polling rules, which oidc-provider leaves out: the device authorization response
 * says how often to poll (`interval`), and a device that polls a pending request sooner than
 * its interval is told `slow_down`, and must from then on wait 5 seconds longer (§3.5). Runs
 * inside oidc-provider (`provider.use`), after it answered.
 */
export function devicePolling(store: Store, config: Pick<Config, 'device_flow' | 'ttl'>): Middleware {
  const interval = config.device_flow.interval_seconds;
  return async (koaCtx, next) => {
    await next();
    const ctx = koaCtx as unknown as KoaContextWithOIDC;
    const route = ctx.oidc?.route;
    const body = ctx.body as Record<string, unknown> | undefined;
    if (route === 'device_authorization' && ctx.status === 200 && body && typeof body === 'object') {
      body.interval = interval;
      return;
    }
    const params = ctx.oidc?.params;
    if (route !== 'token' || params?.grant_type !== DEVICE_CODE_GRANT || body?.error !== 'authorization_pending') return;
    const key = pollKey(String(params.device_code));
    const now = Date.now();
    const last = await store.getRecord(key);
    const current = Number(last?.interval) || interval;
    const early = last !== undefined && now - Number(last.at) < current * 1000 - TOLERANCE_MS;
    const next_ = early ? current + 5 : current;
    await store.putRecord(key, { at: String(now), interval: String(next_) }, config.ttl.device_code);
    if (early) ctx.body = { error: 'slow_down', error_description: `poll at most every ${next_} seconds` };
  };
}
