import type { Redis } from 'ioredis';

/**
 * Redis memory per stored item, with Redis's own key tables charged at their average share per
 * key. Redis keeps every key in a hash table (and every key with a TTL in a second one) whose
 * bucket array doubles when the table is full: the items stored at that moment see the whole
 * keyspace's next array appear, about 1 MB for each table at 65,536 keys. Measured by
 * `used_memory` alone, 2,000 pending logins that crossed that point read 2,375 bytes each
 * where the same logins read about 1,330 everywhere else (round 16). So the growth of the two
 * tables is taken out of the difference, and each added key is charged what a key costs in
 * them on average at the second reading. That share still depends on where the tables are in
 * their doubling (each bucket array holds 1–2 pointers of 8 bytes per key), so the figure is
 * good to about ±16 bytes per key, where used_memory alone was off by a kilobyte.
 */
export interface RedisMemory {
  /** INFO memory's used_memory. */
  used: number;
  /** MEMORY STATS: db 0's main key table and its TTL table, entries and bucket arrays. */
  keyTables: number;
  /** DBSIZE. */
  keys: number;
}

export async function readRedisMemory(client: Redis): Promise<RedisMemory> {
  const used = Number(/used_memory:(\d+)/.exec(await client.info('memory'))?.[1]);
  const stats = (await client.call('MEMORY', 'STATS')) as unknown[];
  const db = stats[stats.indexOf('db.0') + 1];
  const field = (name: string) => (Array.isArray(db) ? Number(db[db.indexOf(name) + 1]) : 0);
  return { used, keyTables: field('overhead.hashtable.main') + field('overhead.hashtable.expires'), keys: await client.dbsize() };
}

/** What `items` stored between two readings cost each: `amortized` as explained above, `raw` by used_memory alone. */
export function bytesPerItem(before: RedisMemory, after: RedisMemory, items: number): { amortized: number; raw: number } {
  const raw = after.used - before.used;
  const tableShare = after.keys > 0 ? ((after.keys - before.keys) * after.keyTables) / after.keys : 0;
  const amortized = raw - (after.keyTables - before.keyTables) + tableShare;
  return { amortized: Math.round(amortized / items), raw: Math.round(raw / items) };
}
