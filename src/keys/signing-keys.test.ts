import { describe, expect, it } from 'vitest';

import { MemoryStore } from '../store/memory-store.js';
import { seal } from './seal.js';
import { SigningKeys } from './signing-keys.js';

const k1 = 'a'.repeat(32);
const k2 = 'b'.repeat(32);
const HOUR = 3600_000;

function clock(start = Date.UTC(2026, 0, 1)) {
  let now = start;
  return { now: () => now, advance: (ms: number) => (now += ms) };
}

describe('SigningKeys', () => {
  it('creates one RS256 and one ES256 key on a new store, and the same keys afterwards', async () => {
    const store = new MemoryStore();
    const first = await new SigningKeys(store, [k1]).forProvider();
    const again = await new SigningKeys(store, [k1]).forProvider();
    expect(first.jwks.map((k) => [k.kty, k.alg, k.use, k.key_ops])).toEqual(
      expect.arrayContaining([
        ['RSA', 'RS256', 'sig', undefined],
        ['EC', 'ES256', 'sig', undefined],
      ]),
    );
    expect(first.jwks).toHaveLength(2);
    expect(first.jwks.every((k) => k.d)).toBe(true);
    expect(again.jwks).toEqual(first.jwks);
  });

  it('agrees on one key per algorithm when instances start together', async () => {
    const store = new MemoryStore();
    const sets = await Promise.all(Array.from({ length: 5 }, () => new SigningKeys(store, [k1]).forProvider()));
    expect(new Set(sets.map((s) => s.jwks.map((k) => k.kid).sort().join()))).toHaveLength(1);
    expect(await new SigningKeys(store, [k1]).list()).toHaveLength(2);
  });

  it('keeps private keys sealed and opens them after a cookie key rotation', async () => {
    const store = new MemoryStore();
    const { jwks } = await new SigningKeys(store, [k1]).forProvider();
    const dump = JSON.stringify(await store.getRecords(jwks.map((k) => `signing-key:${k.kid}`)));
    for (const key of jwks) expect(dump).not.toContain(key.d as string);
    expect((await new SigningKeys(store, [k2, k1]).forProvider()).jwks).toEqual(jwks);
    await expect(new SigningKeys(store, [k2]).forProvider()).rejects.toThrow(/cannot be opened with any configured cookie key/);
  });

  it('adopts the single ES256 key of earlier versions', async () => {
    const store = new MemoryStore();
    const legacy = { kty: 'EC', crv: 'P-256', x: 'x', y: 'y', d: 'd', kid: 'legacy-kid', alg: 'ES256', use: 'sig' };
    await store.putRecord('keys:signing', { kid: 'legacy-kid', sealed: seal(JSON.stringify(legacy), k1), createdAt: '1000' });
    const { jwks } = await new SigningKeys(store, [k1]).forProvider();
    expect(jwks.find((k) => k.alg === 'ES256')).toEqual(legacy);
    expect(jwks.find((k) => k.alg === 'RS256')).toBeDefined();
  });

  it('rotates: the new key is published at once, signs from its time, and the old one keeps verifying', async () => {
    const store = new MemoryStore();
    const time = clock();
    const keys = new SigningKeys(store, [k1], time.now);
    const before = await keys.forProvider();
    const oldRs = before.jwks.find((k) => k.alg === 'RS256')?.kid;
    const [added] = await keys.rotate(['RS256'], 24 * 3600);
    expect(added).toMatchObject({ alg: 'RS256', state: 'pending', activatesAt: time.now() + 24 * HOUR });

    const published = await keys.forProvider();
    expect(published.nextChange).toBe(added?.activatesAt);
    const rsa = published.jwks.filter((k) => k.alg === 'RS256');
    expect(rsa.map((k) => [k.kid, k.key_ops])).toEqual([
      [oldRs, undefined],
      [added?.kid, ['verify']],
    ]);
    await expect(keys.rotate(['RS256'], 60)).rejects.toThrow(/already waiting/);

    time.advance(24 * HOUR);
    const after = await keys.forProvider();
    expect(after.jwks.filter((k) => k.alg === 'RS256').map((k) => [k.kid, k.key_ops])).toEqual([
      [added?.kid, undefined],
      [oldRs, ['verify']],
    ]);
    expect(after.nextChange).toBeUndefined();
    expect((await keys.list()).find((k) => k.kid === oldRs)).toMatchObject({ state: 'verifying', replacedAt: added?.activatesAt });
  });

  it('retires a replaced key only once its tokens have expired, never the signing key', async () => {
    const store = new MemoryStore();
    const time = clock();
    const keys = new SigningKeys(store, [k1], time.now);
    const signing = (await keys.forProvider()).jwks;
    const oldEs = signing.find((k) => k.alg === 'ES256')?.kid as string;
    await expect(keys.retire(oldEs, { tokenSeconds: 3600 })).rejects.toThrow(/is the key that signs ES256 tokens/);
    await expect(keys.retire('nope', { tokenSeconds: 3600 })).rejects.toThrow(/no signing key with kid nope/);

    await keys.rotate(['ES256'], 0);
    time.advance(1);
    await expect(keys.retire(oldEs, { tokenSeconds: 3600 })).rejects.toThrow(/may still be valid until/);
    time.advance(HOUR);
    await keys.retire(oldEs, { tokenSeconds: 3600 });
    expect((await keys.forProvider()).jwks.map((k) => k.kid)).not.toContain(oldEs);
  });

  it('retires with force at once (after a compromise), and a pending key at any time', async () => {
    const store = new MemoryStore();
    const time = clock();
    const keys = new SigningKeys(store, [k1], time.now);
    const oldRs = (await keys.forProvider()).jwks.find((k) => k.alg === 'RS256')?.kid as string;
    await keys.rotate(['RS256'], 0);
    time.advance(1);
    await keys.retire(oldRs, { tokenSeconds: 3600, force: true });
    const [pending] = await keys.rotate(['ES256'], 3600);
    await keys.retire(pending?.kid as string, { tokenSeconds: 3600 });
    expect((await keys.list()).map((k) => k.state)).toEqual(['signing', 'signing']);
  });
});
