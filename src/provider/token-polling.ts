
import type { Config } from '../config/schema.js';
import { hashSecret } from '../security/tokens.js';
import type { Store } from '../store/store.js';
import { CIBA_MAX_SECONDS } from './ciba.js';
import type { ProviderMiddleware } from './provider-middleware.js';

export const DEVICE_CODE_GRANT = 'urn:ietf:params:oauth:grant-type:device_code';
export const CIBA_GRANT = 'urn:openid:params:grant-type:ciba';
/** A poll this much early still counts as on time (timers and networks are not exact). */
const TOLERANCE_MS = 250;
const pollKey = (code: string) => `token-poll:${hashSecret(code)}`;

/**
 * The polling rules of the two grants whose clients poll the token endpoint, which
 * oidc-provider leaves out: the device grant (RFC 8628 §3.2, §3.5) and CIBA (Core §7.3, §11).
 * The response that starts one says how often to poll (`interval`); a client that polls a
 * pending request sooner than its interval is told `slow_down`, and must from then on wait 5
 * seconds longer. Runs inside oidc-provider (`provider.use`), after it answered.
 */
export function tokenPolling(store: Store, config: Pick<Config, 'polling' | 'ttl'>): ProviderMiddleware {
  const interval = config.polling.interval_seconds;
  return async (ctx, next) => {
    await next();
    const route = ctx.oidc?.route;
    const body = ctx.body as Record<string, unknown> | undefined;
    if ((route === 'device_authorization' || route === 'backchannel_authentication') && ctx.status === 200 && body && typeof body === 'object') {
      body.interval = interval;
      return;
    }
    const params = ctx.oidc?.params;
    if (route !== 'token' || body?.error !== 'authorization_pending') return;
    const code = params?.grant_type === DEVICE_CODE_GRANT ? params.device_code : params?.grant_type === CIBA_GRANT ? params.auth_req_id : undefined;
    if (typeof code !== 'string') return;
    const key = pollKey(code);
    const now = Date.now();
    const last = await store.getRecord(key);
    const current = Number(last?.interval) || interval;
    const early = last !== undefined && now - Number(last.at) < current * 1000 - TOLERANCE_MS;
    const next_ = early ? current + 5 : current;
    // Kept as long as the longest request a client can poll for.
    await store.putRecord(key, { at: String(now), interval: String(next_) }, Math.max(config.ttl.device_code, CIBA_MAX_SECONDS));
    if (early) ctx.body = { error: 'slow_down', error_description: `poll at most every ${next_} seconds` };
  };
}
