import { randomBytes } from 'node:crypto';

import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';

import { QridError } from '../errors/qrid-error.js';
import { createRedisStore } from '../store/redis-store.js';
import { RateLimiter } from './rate-limiter.js';

const url = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const prefix = `qrid-test:limiter:${randomBytes(4).toString('hex')}:`;
const store = createRedisStore({ url, keyPrefix: prefix });
const raw = new Redis(url);

afterAll(async () => {
  const keys = await raw.keys(`${prefix}*`);
  if (keys.length > 0) await raw.del(...keys);
  raw.disconnect();
  await store.close();
});

describe('RateLimiter on Redis', () => {
  it('refuses past the limit with Retry-After from the window, and only then reads the TTL', async () => {
    const limited: string[] = [];
    const limiter = new RateLimiter(store, 60, (bucket) => limited.push(bucket));
    await limiter.hit('b', { address: '192.0.2.1' }, 2);
    await limiter.hit('b', { address: '192.0.2.1' }, 2);
    const refused = await limiter.hit('b', { address: '192.0.2.1' }, 2).catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(QridError);
    expect(refused).toMatchObject({ status: 429 });
    expect(limited).toEqual(['b']);
    const pttl = await raw.pttl(`${prefix}rate:b:ip:192.0.2.1`);
    expect(pttl).toBeGreaterThan(50_000);
  });

  it('drops a counter left without expiry (a crash between INCR and PEXPIRE) instead of refusing forever', async () => {
    const limiter = new RateLimiter(store, 60);
    await raw.set(`${prefix}rate:b:device:stuck`, '99'); // no TTL
    await expect(limiter.hit('b', { device: 'stuck' }, 5)).resolves.toBeUndefined();
    expect(await raw.get(`${prefix}rate:b:device:stuck`)).toBe('1');
    expect(await raw.pttl(`${prefix}rate:b:device:stuck`)).toBeGreaterThan(50_000);

    await raw.set(`${prefix}rate:f:device:stuck`, '99');
    await expect(limiter.assertBudget('f', { device: 'stuck' }, 5)).resolves.toBeUndefined();
    expect(await raw.exists(`${prefix}rate:f:device:stuck`)).toBe(0);
  });
});
