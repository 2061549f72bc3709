import { describe, expect, it } from 'vitest';

import { MemoryStore } from '../store/memory-store.js';
import { loadSigningKeys } from './signing-keys.js';

const k1 = 'a'.repeat(32);
const k2 = 'b'.repeat(32);

describe('loadSigningKeys', () => {
  it('generates an ES256 key once and returns the same key afterwards', async () => {
    const store = new MemoryStore();
    const [first] = await loadSigningKeys(store, [k1]);
    const [again] = await loadSigningKeys(store, [k1]);
    expect(first).toMatchObject({ kty: 'EC', crv: 'P-256', alg: 'ES256', use: 'sig' });
    expect(first?.d).toBeTruthy();
    expect(again).toEqual(first);
  });

  it('agrees on one key when instances start together', async () => {
    const store = new MemoryStore();
    const keys = await Promise.all(Array.from({ length: 5 }, () => loadSigningKeys(store, [k1])));
    expect(new Set(keys.map(([k]) => k?.kid)).size).toBe(1);
  });

  it('keeps the private key sealed in the store and opens it after cookie key rotation', async () => {
    const store = new MemoryStore();
    const [key] = await loadSigningKeys(store, [k1]);
    const record = await store.getRecord('keys:signing');
    expect(JSON.stringify(record)).not.toContain(key?.d as string);
    expect((await loadSigningKeys(store, [k2, k1]))[0]).toEqual(key);
    await expect(loadSigningKeys(store, [k2])).rejects.toThrow(/cannot be opened/);
  });
});
