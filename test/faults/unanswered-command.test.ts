import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { freePort } from '../../bench/loopback.js';
import { RedisStore } from '../../src/store/redis-store.js';
import { StoreUnavailableError } from '../../src/store/store.js';
import { PrivateRedis } from '../support/private-redis.js';

/**
 * Redis that stops answering without closing anything (a dead network path, a stalled
 * server): a call fails as "unavailable" once the command timeout has passed, instead of
 * hanging the request that made it, and calls work again once Redis answers.
 */
describe('a command Redis does not answer', () => {
  let redis: PrivateRedis;
  let raw: Redis;
  let store: RedisStore;

  beforeAll(async () => {
    redis = new PrivateRedis(await freePort());
    await redis.start();
    raw = new Redis(redis.url);
    store = new RedisStore({ url: redis.url, keyPrefix: 'stall:', commandTimeoutMs: 300 });
    await store.putRecord('k', { a: '1' });
  }, 30_000);
  afterAll(async () => {
    await store.close();
    raw.disconnect();
    await redis.stop();
  });

  it('fails as unavailable after the command timeout, and the next call after the stall succeeds', async () => {
    await raw.client('PAUSE', '1500', 'ALL');
    const started = performance.now();
    const error = await store.getRecord('k').catch((e: unknown) => e);
    const waited = performance.now() - started;
    expect(error).toBeInstanceOf(StoreUnavailableError);
    expect(waited).toBeGreaterThanOrEqual(295);
    expect(waited).toBeLessThan(1_400); // well before Redis answers again
    await new Promise((resolve) => setTimeout(resolve, 1_400));
    expect(await store.getRecord('k')).toEqual({ a: '1' });
  });
});
