import type { Config } from '../config/schema.js';
import type { Logger } from '../logging/logger.js';
import { CachedStore } from './cached-store.js';
import { MemoryStore } from './memory-store.js';
import { createRedisStore } from './redis-store.js';
import type { Store } from './store.js';

/** Records every phone request and token exchange reads, and which change rarely. */
export const CACHED_PREFIXES = ['user:', 'device:', 'device-passkeys:'];

/** The store the configuration names (Redis behind an in-process cache, see cached-store.ts). */
export function createStore(config: Config, logger: Logger): Store {
  if (config.store.kind === 'memory') return new MemoryStore();
  const redis = connectRedis(config, logger);
  if (config.store.cache_seconds === 0) return redis;
  const cached = new CachedStore(redis, { prefixes: CACHED_PREFIXES, ttlMs: config.store.cache_seconds * 1000 });
  void cached.start().catch(() => undefined); // retried by the first reads if Redis is not up yet
  return cached;
}

function connectRedis(config: Config, logger: Logger): Store {
  let lastReported = 0;
  return createRedisStore({
    url: config.store.redis_url,
    keyPrefix: config.store.key_prefix,
    ...(config.store.sentinel ? { sentinels: config.store.sentinel } : {}),
    ...(config.store.cluster ? { cluster: config.store.cluster } : {}),
    onError: (error) => {
      // A Redis outage produces an error per reconnect attempt; one log line every 10 s is enough.
      if (Date.now() - lastReported < 10_000) return;
      lastReported = Date.now();
      logger.error({ err: error }, 'store error');
    },
  });
}
