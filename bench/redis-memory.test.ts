import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { startRedis } from './processes.js';
import { bytesPerItem, readRedisMemory, type RedisMemory } from './redis-memory.js';

describe('bytesPerItem', () => {
  it("charges each key the tables' average share instead of the doubling that fell on it", () => {
    // Read off a real Redis 7.0 (values of 300 bytes with a TTL): 4,000 keys that crossed
    // 65,536 keys cost 988 bytes each by used_memory, the next 4,000 cost 464.
    const at64k: RedisMemory = { used: 40_000_000, keyTables: 64_000 * (48.2 + 32.2), keys: 64_000 };
    const at68k: RedisMemory = { used: 40_000_000 + 988 * 4_000, keyTables: 68_000 * (63.1 + 47.1), keys: 68_000 };
    const at72k: RedisMemory = { used: at68k.used + 464 * 4_000, keyTables: 72_000 * (61.8 + 45.8), keys: 72_000 };
    const crossing = bytesPerItem(at64k, at68k, 4_000);
    const after = bytesPerItem(at68k, at72k, 4_000);
    expect(crossing.raw).toBe(988);
    expect(after.raw).toBe(464);
    expect(Math.abs(crossing.amortized - after.amortized)).toBeLessThan(10);
  });
});

describe('readRedisMemory on a Redis of its own', () => {
  let redis: Awaited<ReturnType<typeof startRedis>>;
  beforeAll(async () => {
    redis = await startRedis();
  });
  afterAll(async () => {
    await redis?.stop();
  });

  const fill = async (from: number, to: number) => {
    const pipeline = redis.client.pipeline();
    for (let i = from; i < to; i += 1) pipeline.set(`item:${i}:${'k'.repeat(40)}`, 'v'.repeat(300), 'PX', 600_000);
    await pipeline.exec();
  };

  it('reads what a batch of keys costs the same whether or not it made the key tables grow', async () => {
    await fill(0, 40_000);
    const at40k = await readRedisMemory(redis.client);
    expect(at40k.keys).toBe(40_000);
    await fill(40_000, 60_000); // the tables have room up to 65,536 keys
    const at60k = await readRedisMemory(redis.client);
    await fill(60_000, 70_000); // crosses 65,536: both tables' bucket arrays double
    const at70k = await readRedisMemory(redis.client);
    const quiet = bytesPerItem(at40k, at60k, 20_000);
    const growing = bytesPerItem(at60k, at70k, 10_000);
    // The doubling (about 1 MB for each table) shows in used_memory...
    expect(growing.raw - quiet.raw).toBeGreaterThan(100);
    // ...and not in the amortized figure, which still moves with where the tables are in their
    // doubling (a key's share of the bucket arrays is 8–16 bytes for each table).
    expect(Math.abs(growing.amortized - quiet.amortized)).toBeLessThan(quiet.amortized * 0.1);
    expect(quiet.amortized).toBeGreaterThan(300); // a 300-byte value at least
  });
});
