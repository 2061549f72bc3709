import { randomBytes } from 'node:crypto';

import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { createRedisStore, type RedisStore } from './redis-store.js';
import { describeStoreContract } from './store.contract.js';

const url = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const prefix = `qrid-test:${process.pid}:${randomBytes(4).toString('hex')}:`;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

// The raw client inspects what the store wrote and cleans up; it never retries, so a missing
// Redis is reported at once instead of after the suite's timeouts.
const raw = new Redis(url, {
  lazyConnect: true,
  connectTimeout: 2_000,
  commandTimeout: 2_000,
  maxRetriesPerRequest: 0,
  retryStrategy: () => null,
});
let connectionError: unknown;
raw.on('error', (error: unknown) => (connectionError = error));
try {
  await raw.connect();
  await raw.ping();
} catch (error) {
  raw.disconnect();
  // A missing Redis fails this file rather than skipping it: the Redis store must be tested.
  throw new Error(`no Redis answers at ${url}: start redis-server or set REDIS_URL (${String(connectionError ?? error)})`);
}

afterAll(async () => {
  const pattern = `${prefix.replace(/[*?[\]\\]/g, '\\$&')}*`;
  let cursor = '0';
  do {
    const [next, keys] = await raw.scan(cursor, 'MATCH', pattern, 'COUNT', 500);
    if (keys.length > 0) await raw.del(...keys);
    cursor = next;
  } while (cursor !== '0');
  await raw.quit();
});

describeStoreContract('redis', async () => createRedisStore({ url, keyPrefix: prefix }));

describe('redis store specifics', () => {
  let store: RedisStore;
  beforeAll(() => {
    store = createRedisStore({ url, keyPrefix: prefix });
  });
  afterAll(async () => {
    await store.close();
  });

  it('prefixes every key and channel', async () => {
    await store.putRecord('probe:rec', { a: '1' });
    await store.addToIndex('probe:set', 'm');
    await store.increment('probe:count', 60);
    expect(JSON.parse((await raw.get(`${prefix}probe:rec`)) as string)).toEqual({ a: '1' });
    expect(await raw.smembers(`${prefix}probe:set`)).toEqual(['m']);
    expect(await raw.get(`${prefix}probe:count`)).toBe('1');
    expect(await raw.exists('probe:rec', 'probe:set', 'probe:count')).toBe(0);

    const listener = raw.duplicate();
    const got: string[] = [];
    listener.on('message', (channel: string, message: string) => got.push(`${channel} ${message}`));
    await listener.subscribe(`${prefix}probe:channel`);
    await store.publish('probe:channel', 'hello');
    for (let i = 0; i < 50 && got.length === 0; i += 1) await sleep(10);
    await listener.quit();
    expect(got).toEqual([`${prefix}probe:channel hello`]);
  });

  it('sets TTLs in Redis itself', async () => {
    await store.putRecord('ttl:rec', { a: '1' }, 60);
    const pttl = await raw.pttl(`${prefix}ttl:rec`);
    expect(pttl).toBeGreaterThan(0);
    expect(pttl).toBeLessThanOrEqual(60_000);
    await store.putRecord('ttl:rec', { a: '2' });
    expect(await raw.pttl(`${prefix}ttl:rec`)).toBe(-1);

    await store.addToIndex('ttl:set', 'a');
    expect(await raw.pttl(`${prefix}ttl:set`)).toBe(-1); // no TTL given: a new index is persistent
    await store.addToIndex('ttl:set2', 'a', 30);
    await store.addToIndex('ttl:set2', 'b');
    const kept = await raw.pttl(`${prefix}ttl:set2`); // no TTL given: an index keeps its expiry
    expect(kept).toBeGreaterThan(25_000);
    expect(kept).toBeLessThanOrEqual(30_000);
  });

  it('rejects a key of the wrong kind and leaves it untouched', async () => {
    await raw.sadd(`${prefix}kind:set`, 'm');
    await expect(store.patchRecord('kind:set', { a: '1' }, { ttlSeconds: 5 })).rejects.toThrow(/WRONGTYPE/);
    await expect(store.patchRecord('kind:set', {}, { ttlSeconds: 5 })).rejects.toThrow(/WRONGTYPE/);
    await expect(store.takeRecord('kind:set')).rejects.toThrow(/WRONGTYPE/);
    await expect(store.increment('kind:set', 5)).rejects.toThrow(/WRONGTYPE/);
    expect(await raw.smembers(`${prefix}kind:set`)).toEqual(['m']);
    expect(await raw.pttl(`${prefix}kind:set`)).toBe(-1);

    await store.putRecord('kind:rec', { a: '1' }, 60);
    const before = await raw.pttl(`${prefix}kind:rec`);
    await expect(store.addToIndex('kind:rec', 'x')).rejects.toThrow(/WRONGTYPE/);
    await expect(store.addToIndex('kind:rec', 'x', 5)).rejects.toThrow(/WRONGTYPE/); // and its TTL is not the index's
    await expect(store.indexMembers('kind:rec')).rejects.toThrow(/WRONGTYPE/);
    expect(JSON.parse((await raw.get(`${prefix}kind:rec`)) as string)).toEqual({ a: '1' });
    expect(await raw.pttl(`${prefix}kind:rec`)).toBeLessThanOrEqual(before);
    expect(await raw.pttl(`${prefix}kind:rec`)).toBeGreaterThan(50_000);
  });

  it('stores a record as one JSON string and patches it with one script', async () => {
    await store.putRecord('json:rec', { state: 'waiting', empty: '' }, 60);
    expect(await raw.type(`${prefix}json:rec`)).toBe('string');
    const patched = await store.patchRecord('json:rec', { state: 'scanned', note: 'Zoë 名前' }, { ifMatch: { state: 'waiting' } });
    expect(patched).toEqual({ state: 'scanned', empty: '', note: 'Zoë 名前' });
    expect(JSON.parse((await raw.get(`${prefix}json:rec`)) as string)).toEqual(patched);
    expect(await raw.pttl(`${prefix}json:rec`)).toBeGreaterThan(50_000); // KEEPTTL
  });

  it('carries every channel on one pattern subscription, with no Redis command per listener', async () => {
    // Named, since other test files subscribe on this Redis at the same time.
    const name = `qrid-test-${process.pid}-${randomBytes(4).toString('hex')}`;
    const subscriber = createRedisStore({ url, keyPrefix: `${prefix}pattern:`, connectionName: name });
    try {
      const a: string[] = [];
      const b: string[] = [];
      const offA = await subscriber.subscribe('shared', (m) => a.push(m));
      const offB = await subscriber.subscribe('shared', (m) => b.push(m));
      const offC = await subscriber.subscribe('other', () => undefined);
      const clients = String(await raw.call('CLIENT', 'LIST', 'TYPE', 'pubsub'));
      const own = clients.split('\n').filter((line) => line.includes(` name=${name} `));
      expect(own).toHaveLength(1);
      expect(own[0]).toMatch(/ sub=0 psub=1 /);
      expect(await raw.pubsub('NUMSUB', `${prefix}pattern:shared`)).toEqual([`${prefix}pattern:shared`, 0]);
      expect(subscriber.listenedChannels()).toBe(2);
      await subscriber.publish('shared', 'one');
      for (let i = 0; i < 50 && (a.length === 0 || b.length === 0); i += 1) await sleep(10);
      expect([a, b]).toEqual([['one'], ['one']]);
      await offA();
      await offB();
      await offB(); // a second call is harmless
      expect(subscriber.listenedChannels()).toBe(1);
      await offC();
      expect(subscriber.listenedChannels()).toBe(0);
    } finally {
      await subscriber.close();
    }
  });

  it('fails fast when Redis is unreachable', async () => {
    const errors: unknown[] = [];
    const down = createRedisStore({
      url: 'redis://127.0.0.1:1',
      keyPrefix: prefix,
      connectTimeoutMs: 500,
      commandTimeoutMs: 1_000,
      onError: (error) => errors.push(error),
    });
    const started = Date.now();
    await expect(down.ping()).rejects.toThrow();
    await expect(down.getRecord('x')).rejects.toThrow();
    // Seconds, not the minutes of an unbounded retry (bound generous for a busy machine).
    expect(Date.now() - started).toBeLessThan(15_000);
    expect(errors.length).toBeGreaterThan(0);
    await down.close();
  });

  it('delivers to a burst of first subscriptions on a fresh store', async () => {
    const fresh = createRedisStore({ url, keyPrefix: prefix });
    try {
      const got: string[] = [];
      const unsubscribes = await Promise.all(
        Array.from({ length: 50 }, (_, i) => fresh.subscribe(`burst:${i}`, (m) => got.push(m))),
      );
      await Promise.all(Array.from({ length: 50 }, (_, i) => fresh.publish(`burst:${i}`, String(i))));
      for (let i = 0; i < 50 && got.length < 50; i += 1) await sleep(20);
      expect(got).toHaveLength(50);
      await Promise.all(unsubscribes.map((u) => u()));
    } finally {
      await fresh.close();
    }
  });
});
