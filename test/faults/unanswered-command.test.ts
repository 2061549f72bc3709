import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { freePort } from '../support/loopback.js';
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
    // Paused far longer than the timeout: a call that waited for Redis would get its answer, not fail.
    await raw.client('PAUSE', '5000', 'ALL');
    const started = performance.now();
    const error = await store.getRecord('k').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StoreUnavailableError);
    expect(performance.now() - started).toBeGreaterThanOrEqual(295);
    await expect.poll(() => store.getRecord('k').catch(() => undefined), { timeout: 20_000 }).toEqual({ a: '1' });
  });
});
