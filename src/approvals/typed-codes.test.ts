import { describe, expect, it } from 'vitest';

import { MemoryStore } from '../store/memory-store.js';
import { TypedCodes } from './typed-codes.js';

describe('TypedCodes', () => {
  const NOW = 1_000_000;

  it('names its approval exactly once, then says it was used', async () => {
    const codes = new TypedCodes(new MemoryStore({ now: () => NOW }), () => NOW);
    await codes.add('hash-1', 'approval-1', NOW + 60_000);
    const uses = await Promise.allSettled([codes.use('hash-1'), codes.use('hash-1'), codes.use('hash-1')]);
    expect(uses.filter((u) => u.status === 'fulfilled').map((u) => (u as PromiseFulfilledResult<unknown>).value)).toEqual(['approval-1']);
    for (const u of uses.filter((u) => u.status === 'rejected')) expect((u as PromiseRejectedResult).reason).toMatchObject({ code: 'qr_used' });
  });

  it('refuses an unknown code and a removed one as wrong', async () => {
    const codes = new TypedCodes(new MemoryStore({ now: () => NOW }), () => NOW);
    await expect(codes.use('nope')).rejects.toMatchObject({ code: 'typed_code_invalid' });
    await codes.add('hash-2', 'approval-2', NOW + 60_000);
    await codes.remove('hash-2');
    await expect(codes.use('hash-2')).rejects.toMatchObject({ code: 'typed_code_invalid' });
  });

  it('keeps an expired code long enough to answer a replay with "already used"', async () => {
    let now = NOW;
    const store = new MemoryStore({ now: () => now });
    const codes = new TypedCodes(store, () => now);
    await codes.add('hash-3', 'approval-3', NOW + 60_000);
    await codes.use('hash-3');
    now += 60_000 + 300_000; // past the code, within its tombstone
    await expect(codes.use('hash-3')).rejects.toMatchObject({ code: 'qr_used' });
    expect(await store.ttl('typed:hash-3')).toBeGreaterThan(0);
  });
});
