import { describe, expect, it } from 'vitest';

import { MemoryStore } from '../store/memory-store.js';
import { type Store, StoreUnavailableError } from '../store/store.js';
import { instrumentStore } from './instrument-store.js';

describe('instrumentStore', () => {
  it('passes every call through to the store, with the store as `this`', async () => {
    const inner = new MemoryStore();
    const store = instrumentStore(inner, () => undefined);
    expect(store.kind).toBe('memory');
    await store.putRecord('k', { a: '1' });
    expect(await inner.getRecord('k')).toEqual({ a: '1' });
    expect(await store.getRecords(['k', 'missing'])).toEqual([{ a: '1' }, undefined]);
    expect(store.available()).toBe(true);
    await inner.close();
  });

  it('counts operations that failed because the store was unreachable, and only those, and rethrows them', async () => {
    let counted = 0;
    const unreachable = new StoreUnavailableError('down');
    const failing = { kind: 'redis', getRecord: async () => Promise.reject(unreachable), deleteKeys: async () => Promise.reject(new TypeError('bad key')) } as unknown as Store;
    const store = instrumentStore(failing, () => (counted += 1));
    await expect(store.getRecord('k')).rejects.toBe(unreachable);
    expect(counted).toBe(1);
    await expect(store.deleteKeys(['k'])).rejects.toThrow(TypeError);
    expect(counted).toBe(1);
  });

  it('reads plain properties from the store each time', () => {
    const inner = { kind: 'memory' } as { kind: string };
    const store = instrumentStore(inner as unknown as Store, () => undefined);
    inner.kind = 'redis';
    expect(store.kind).toBe('redis');
  });
});
