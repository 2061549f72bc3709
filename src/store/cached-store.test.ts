import { randomBytes } from 'node:crypto';

import { describe, expect, it } from 'vitest';

import { CachedStore } from './cached-store.js';
import { MemoryStore } from './memory-store.js';
import { createRedisStore } from './redis-store.js';
import { describeStoreContract } from './store.contract.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

// The contract holds with the cache in front, for cached and uncached keys alike.
describeStoreContract('redis behind the cache', async () => {
  const cached = new CachedStore(
    createRedisStore({ url: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379', keyPrefix: `qrid-test:cached:${randomBytes(4).toString('hex')}:` }),
    { prefixes: ['contract:'], ttlMs: 60_000 },
  );
  await cached.start();
  return cached;
});

/** A memory store that counts the reads reaching it, and can hold one read back. */
class WatchedStore extends MemoryStore {
  reads = 0;
  hold: Promise<void> | undefined;

  override async getRecord(key: string) {
    this.reads += 1;
    const value = await super.getRecord(key);
    if (this.hold) await this.hold;
    return value;
  }
}

describe('CachedStore', () => {
  it('serves repeated reads of cached prefixes from memory, and nothing else', async () => {
    const inner = new WatchedStore();
    const store = new CachedStore(inner, { prefixes: ['user:'], ttlMs: 60_000 });
    await store.start();
    await inner.putRecord('user:1', { name: 'Ann' });
    await inner.putRecord('other:1', { a: '1' });
    expect(await store.getRecord('user:1')).toEqual({ name: 'Ann' });
    expect(await store.getRecord('user:1')).toEqual({ name: 'Ann' });
    expect(inner.reads).toBe(1);
    await store.getRecord('other:1');
    await store.getRecord('other:1');
    expect(inner.reads).toBe(3);
    // Callers get copies: changing one does not change the cache.
    const copy = (await store.getRecord('user:1')) as Record<string, string>;
    copy.name = 'changed';
    expect(await store.getRecord('user:1')).toEqual({ name: 'Ann' });
  });

  it('drops an entry when it is written, here and in another process sharing the store', async () => {
    const shared = new MemoryStore();
    const a = new CachedStore(shared, { prefixes: ['device:'], ttlMs: 60_000 });
    const b = new CachedStore(shared, { prefixes: ['device:'], ttlMs: 60_000 });
    await Promise.all([a.start(), b.start()]);
    await a.putRecord('device:1', { secretHash: 'old' });
    expect(await b.getRecord('device:1')).toEqual({ secretHash: 'old' });
    await a.patchRecord('device:1', { secretHash: 'new' });
    expect(await a.getRecord('device:1')).toEqual({ secretHash: 'new' });
    await sleep(5); // the invalidation travels over pub/sub
    expect(await b.getRecord('device:1')).toEqual({ secretHash: 'new' });
    await a.deleteKeys(['device:1']);
    await sleep(5);
    expect(await b.getRecord('device:1')).toBeUndefined();
  });

  it('never keeps a value read while a write was under way', async () => {
    const inner = new WatchedStore();
    const racing = new CachedStore(inner, { prefixes: ['user:'], ttlMs: 60_000 });
    await racing.start();
    await inner.putRecord('user:1', { disabled: '' });
    let release: () => void = () => {};
    inner.hold = new Promise<void>((resolve) => (release = resolve));
    const staleRead = racing.getRecord('user:1'); // reads 'enabled', then stalls
    await sleep(1);
    inner.hold = undefined;
    await racing.patchRecord('user:1', { disabled: '1' });
    release();
    expect(await staleRead).toEqual({ disabled: '' });
    expect(await racing.getRecord('user:1')).toEqual({ disabled: '1' });
  });

  it('forgets entries after their time to live', async () => {
    let now = 0;
    const inner = new WatchedStore();
    const store = new CachedStore(inner, { prefixes: ['user:'], ttlMs: 5_000, now: () => now });
    await store.start();
    await inner.putRecord('user:1', { name: 'Ann' });
    await store.getRecord('user:1');
    now += 4_999;
    await store.getRecord('user:1');
    expect(inner.reads).toBe(1);
    now += 2;
    await store.getRecord('user:1');
    expect(inner.reads).toBe(2);
  });

  it('invalidates across two processes sharing Redis', async () => {
    const url = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
    const keyPrefix = `qrid-test:cache:${randomBytes(4).toString('hex')}:`;
    const a = new CachedStore(createRedisStore({ url, keyPrefix }), { prefixes: ['user:'], ttlMs: 60_000 });
    const b = new CachedStore(createRedisStore({ url, keyPrefix }), { prefixes: ['user:'], ttlMs: 60_000 });
    try {
      await Promise.all([a.start(), b.start()]);
      await a.putRecord('user:1', { disabled: '' });
      expect(await b.getRecord('user:1')).toEqual({ disabled: '' });
      await a.patchRecord('user:1', { disabled: '1' });
      for (let i = 0; i < 50 && b.size > 0; i += 1) await sleep(5);
      expect(await b.getRecord('user:1')).toEqual({ disabled: '1' });
      await a.deleteKeys(['user:1']);
    } finally {
      await Promise.all([a.close(), b.close()]);
    }
  });
});
