import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import type { Fields, Store } from './store.js';

/**
 * The store contract: every Store implementation runs this same suite
 * (see memory-store.test.ts and redis-store.test.ts). `prefix` keeps runs apart.
 */
export function describeStoreContract(name: string, open: () => Promise<Store>): void {
  describe(`store contract: ${name}`, () => {
    let store: Store;
    let n = 0;
    const key = (label: string) => `contract:${process.pid}:${Date.now()}:${(n += 1)}:${label}`;
    const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

    beforeAll(async () => {
      store = await open();
    });
    afterAll(async () => {
      await store?.close();
    });

    it('puts, gets and replaces records', async () => {
      const k = key('rec');
      expect(await store.getRecord(k)).toBeUndefined();
      await store.putRecord(k, { a: '1', b: 'two' });
      expect(await store.getRecord(k)).toEqual({ a: '1', b: 'two' });
      await store.putRecord(k, { c: '3' });
      expect(await store.getRecord(k)).toEqual({ c: '3' });
      expect(await store.ttl(k)).toBe(Number.POSITIVE_INFINITY);
    });

    it('reads several records at once, in order, with gaps where missing', async () => {
      const [a, b, missing] = [key('many-a'), key('many-b'), key('many-missing')];
      await store.putRecord(a, { n: '1' });
      await store.putRecord(b, { n: '2' }, 60);
      expect(await store.getRecords([b, missing, a])).toEqual([{ n: '2' }, undefined, { n: '1' }]);
      expect(await store.getRecords([])).toEqual([]);
    });

    it('keeps empty-string and unicode values intact', async () => {
      const k = key('values');
      await store.putRecord(k, { empty: '', text: 'Zoë — 名前 🙂', json: '{"a":[]}' });
      expect(await store.getRecord(k)).toEqual({ empty: '', text: 'Zoë — 名前 🙂', json: '{"a":[]}' });
    });

    it('expires records after their TTL', async () => {
      const k = key('ttl');
      await store.putRecord(k, { a: '1' }, 1);
      const ttl = await store.ttl(k);
      expect(ttl).toBeGreaterThan(0);
      expect(ttl).toBeLessThanOrEqual(1);
      await sleep(1300);
      expect(await store.getRecord(k)).toBeUndefined();
      expect(await store.ttl(k)).toBeUndefined();
    });

    it('creates if absent exactly once under concurrency', async () => {
      const k = key('nx');
      const results = await Promise.all(
        Array.from({ length: 20 }, (_, i) => store.putRecordIfAbsent(k, { winner: String(i) }, 30)),
      );
      expect(results.filter(Boolean)).toHaveLength(1);
      const winner = results.indexOf(true);
      expect(await store.getRecord(k)).toEqual({ winner: String(winner) });
    });

    it('patches only existing records whose conditions hold, keeping the TTL', async () => {
      const k = key('patch');
      expect(await store.patchRecord(k, { a: '1' })).toBeUndefined();
      expect(await store.getRecord(k)).toBeUndefined();

      await store.putRecord(k, { state: 'waiting' }, 60);
      expect(await store.patchRecord(k, { state: 'approved' }, { ifMatch: { state: 'scanned' } })).toBeUndefined();
      expect(await store.getRecord(k)).toEqual({ state: 'waiting' });

      const after = await store.patchRecord(k, { state: 'scanned', device: 'd1' }, {
        ifMatch: { state: ['waiting', 'scanned'], device: '' },
      });
      expect(after).toEqual({ state: 'scanned', device: 'd1' });
      expect(await store.patchRecord(k, { device: 'd2' }, { ifMatch: { device: '' } })).toBeUndefined();
      const ttl = await store.ttl(k);
      expect(ttl).toBeGreaterThan(50);
      expect(ttl).toBeLessThanOrEqual(60);

      await store.patchRecord(k, { state: 'approved' }, { ttlSeconds: 5 });
      expect(await store.ttl(k)).toBeLessThanOrEqual(5);
    });

    it('lets exactly one of many concurrent conditional patches win', async () => {
      const k = key('cas');
      await store.putRecord(k, { usedAt: '' }, 60);
      const results = await Promise.all(
        Array.from({ length: 25 }, (_, i) => store.patchRecord(k, { usedAt: String(i) }, { ifMatch: { usedAt: '' } })),
      );
      expect(results.filter(Boolean)).toHaveLength(1);
    });

    it('takes a record exactly once under concurrency (double consume)', async () => {
      const k = key('take');
      await store.putRecord(k, { secret: 's' }, 60);
      const results = await Promise.all(Array.from({ length: 25 }, () => store.takeRecord(k)));
      expect(results.filter(Boolean)).toEqual([{ secret: 's' }]);
      expect(await store.getRecord(k)).toBeUndefined();
    });

    it('deletes keys of every kind and counts them', async () => {
      const r = key('del-r');
      const s = key('del-s');
      const c = key('del-c');
      await store.putRecord(r, { a: '1' });
      await store.addToIndex(s, 'm');
      await store.increment(c, 60);
      expect(await store.deleteKeys([r, s, c, key('missing')])).toBe(3);
      expect(await store.getRecord(r)).toBeUndefined();
      expect(await store.indexMembers(s)).toEqual([]);
    });

    it('maintains indexes that expire as their latest add says', async () => {
      const k = key('index');
      await store.addToIndex(k, 'a', 60);
      expect(await store.ttl(k)).toBeGreaterThan(50);
      await store.addToIndex(k, 'b', 5);
      expect(await store.ttl(k)).toBeLessThanOrEqual(5);
      await store.addToIndex(k, 'a', 60);
      expect((await store.indexMembers(k)).sort()).toEqual(['a', 'b']);
      expect(await store.ttl(k)).toBeGreaterThan(50);
      await store.addToIndex(k, 'c');
      expect(await store.ttl(k)).toBeGreaterThan(50); // no TTL given: the set keeps its expiry
      await store.removeFromIndex(k, 'c');
      await store.removeFromIndex(k, 'a');
      expect(await store.indexMembers(k)).toEqual(['b']);
      await store.removeFromIndex(k, 'b');
      expect(await store.indexMembers(k)).toEqual([]);

      const persistent = key('index-persistent');
      await store.addToIndex(persistent, 'x');
      expect(await store.ttl(persistent)).toBe(Number.POSITIVE_INFINITY);

      const shortLived = key('index-ttl');
      await store.addToIndex(shortLived, 'x', 1);
      await sleep(1300);
      expect(await store.indexMembers(shortLived)).toEqual([]);
    });

    it('keeps record maps: entries written once if asked, read one or all, removed; the map lives as its latest write says', async () => {
      const k = key('map');
      expect(await store.mapEntries(k)).toEqual(new Map());
      expect(await store.putMapEntry(k, 'a', { n: '1' }, { ttlSeconds: 60, ifAbsent: true })).toBe(true);
      expect(await store.putMapEntry(k, 'a', { n: 'overwritten' }, { ttlSeconds: 5, ifAbsent: true })).toBe(false);
      expect(await store.mapEntry(k, 'a')).toEqual({ n: '1' });
      expect(await store.ttl(k)).toBeGreaterThan(50); // a refused write leaves the TTL alone
      expect(await store.putMapEntry(k, 'b', { n: '2' }, { ttlSeconds: 5 })).toBe(true);
      expect(await store.ttl(k)).toBeLessThanOrEqual(5);
      expect(await store.putMapEntry(k, 'b', { n: '3', m: 'x' }, { ttlSeconds: 60 })).toBe(true);
      expect(await store.mapEntries(k)).toEqual(new Map([['a', { n: '1' }], ['b', { n: '3', m: 'x' }]]));
      expect(await store.ttl(k)).toBeGreaterThan(50);
      expect(await store.mapEntry(k, 'missing')).toBeUndefined();

      const read = await store.mapEntries(k);
      (read.get('a') as Fields).n = 'changed by a reader';
      expect(await store.mapEntry(k, 'a')).toEqual({ n: '1' });

      await store.removeMapEntries(k, ['a', 'missing']);
      expect([...(await store.mapEntries(k)).keys()]).toEqual(['b']);
      await store.removeMapEntries(k, ['b']);
      expect(await store.ttl(k)).toBeUndefined(); // the emptied map is gone

      const shortLived = key('map-ttl');
      await store.putMapEntry(shortLived, 'x', { n: '1' }, { ttlSeconds: 1 });
      await sleep(1300);
      expect(await store.mapEntry(shortLived, 'x')).toBeUndefined();
    });

    it('writes an entry exactly once under concurrency when asked to', async () => {
      const k = key('map-race');
      const results = await Promise.all(Array.from({ length: 25 }, (_, i) => store.putMapEntry(k, 'one', { i: String(i) }, { ttlSeconds: 60, ifAbsent: true })));
      expect(results.filter(Boolean)).toHaveLength(1);
      expect(await store.mapEntry(k, 'one')).toEqual({ i: String(results.indexOf(true)) });
    });

    it('counts within a window and resets after it', async () => {
      const k = key('counter');
      const counts = await Promise.all(Array.from({ length: 10 }, () => store.increment(k, 1)));
      expect(counts.sort((a, b) => a - b)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
      expect(await store.ttl(k)).toBe(1);
      await sleep(1300);
      expect(await store.increment(k, 1)).toBe(1);
    });

    it('reads counters without changing them', async () => {
      const k = key('read-counter');
      expect(await store.counter(k)).toBe(0);
      await store.increment(k, 60);
      await store.increment(k, 60);
      expect(await store.counter(k)).toBe(2);
      expect(await store.ttl(k)).toBeGreaterThan(50);
      expect(await store.counter(k)).toBe(2);
    });

    it('refuses to treat one kind of key as another', async () => {
      const k = key('kinds');
      await store.putRecord(k, { a: '1' });
      await expect(store.addToIndex(k, 'x')).rejects.toThrow();
      await expect(store.putMapEntry(k, 'x', { b: '2' }, { ttlSeconds: 5 })).rejects.toThrow();
      expect(await store.getRecord(k)).toEqual({ a: '1' });
      expect(await store.ttl(k)).toBe(Number.POSITIVE_INFINITY);
    });

    it('publishes to every subscriber of a channel and stops after unsubscribe', async () => {
      const channel = key('channel');
      const got: string[] = [];
      const other: string[] = [];
      const unsubscribe = await store.subscribe(channel, (m) => got.push(m));
      const unsubscribeOther = await store.subscribe(`${channel}:other`, (m) => other.push(m));
      await store.publish(channel, 'one');
      await store.publish(channel, 'two');
      for (let i = 0; i < 50 && got.length < 2; i += 1) await sleep(10);
      expect(got).toEqual(['one', 'two']);
      expect(other).toEqual([]);
      await unsubscribe();
      await unsubscribeOther();
      await store.publish(channel, 'three');
      await sleep(50);
      expect(got).toEqual(['one', 'two']);
    });

    it('answers ping', async () => {
      await expect(store.ping()).resolves.toBeUndefined();
    });
  });
}
