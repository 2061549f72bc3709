import { randomBytes } from 'node:crypto';

import { Redis } from 'ioredis';

export const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

/** A key prefix no other test run uses. */
export function testPrefix(label: string): string {
  return `qrid-test:${label}:${process.pid}:${randomBytes(4).toString('hex')}:`;
}

/** Fails loudly (not a skip) when no Redis answers; returns a raw client for inspection. */
export async function requireRedis(): Promise<Redis> {
  const raw = new Redis(REDIS_URL, { lazyConnect: true, connectTimeout: 2000, maxRetriesPerRequest: 0, retryStrategy: () => null });
  raw.on('error', () => undefined);
  try {
    await raw.connect();
    await raw.ping();
  } catch (error) {
    raw.disconnect();
    throw new Error(`no Redis answers at ${REDIS_URL}: start redis-server or set REDIS_URL (${String(error)})`);
  }
  return raw;
}

export async function deletePrefix(raw: Redis, prefix: string): Promise<void> {
  let cursor = '0';
  do {
    const [next, keys] = await raw.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 500);
    if (keys.length) await raw.del(...keys);
    cursor = next;
  } while (cursor !== '0');
}
