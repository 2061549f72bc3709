import type { Config } from '../config/schema.js';
import type { Logger } from '../logging/logger.js';
import { MemoryStore } from './memory-store.js';
import { createRedisStore } from './redis-store.js';
import type { Store } from './store.js';

/** The store the configuration names. */
export function createStore(config: Config, logger: Logger): Store {
  if (config.store.kind === 'memory') return new MemoryStore();
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
