/**
 * The Redis store: what several qrid processes share. Other clients act on the same keys at the
 * same time, so it enforces:
 * - every operation that decides a race is one Lua script or one command, never a read here
 *   followed by a write (another process could act in between);
 * - records are JSON strings, so the common operations are one command each (GET, SET … PX,
 *   SET … NX, GETDEL); needs Redis 6.2 or later;
 * - every script touches exactly one key, so it runs unchanged on Redis Cluster (multi-key
 *   DEL is split per key there, since the keys may live in different slots);
 * - a key of the wrong type makes the operation reject (WRONGTYPE) before anything is written;
 * - every key and pub/sub channel carries `keyPrefix`, so deployments can share one Redis;
 * - when Redis is down, calls fail within about `commandTimeoutMs` instead of hanging, and the
 *   client reconnects by itself when Redis returns.
 */
import { Cluster, ReplyError } from 'ioredis';

import { connect, type Connection, type RedisStoreOptions } from './redis-connection.js';
import { RedisPubSub } from './redis-pubsub.js';
import { type Fields, type MapEntryOptions, type PatchOptions, type Store, StoreUnavailableError, type Unsubscribe } from './store.js';

export type { RedisNode, RedisStoreOptions } from './redis-connection.js';


// Records are one string key each: the JSON of their fields. A read is one GET, a write one
// SET (with PX and NX as needed), a take one GETDEL; only conditional patches need a script.

// KEYS[1] record; ARGV: pttl ('' = keep), condition count, then per condition: field, n,
// n allowed values; then field, value, ... to merge. Returns the record's JSON after, or nil.
// GET raises WRONGTYPE for another kind of key before anything is written.
const PATCH = `
local raw = redis.call('GET', KEYS[1])
if not raw then return false end
local record = cjson.decode(raw)
local i = 3
for _ = 1, tonumber(ARGV[2]) do
  local current = record[ARGV[i]] or ''
  local n = tonumber(ARGV[i + 1])
  local ok = false
  for j = i + 2, i + 1 + n do ok = ok or ARGV[j] == current end
  if not ok then return false end
  i = i + 2 + n
end
if i <= #ARGV then
  for k = i, #ARGV, 2 do record[ARGV[k]] = ARGV[k + 1] end
  raw = cjson.encode(record)
  if ARGV[1] ~= '' then redis.call('SET', KEYS[1], raw, 'PX', ARGV[1])
  else redis.call('SET', KEYS[1], raw, 'KEEPTTL') end
elseif ARGV[1] ~= '' then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
return raw`;

const SCRIPTS = { qridPatch: PATCH };
type ScriptName = keyof typeof SCRIPTS;

/** Milliseconds for PEXPIRE, or '' for "no expiry". */
function pttlArg(ttlSeconds: number | undefined): string {
  if (ttlSeconds === undefined || ttlSeconds === Number.POSITIVE_INFINITY) return '';
  if (!Number.isFinite(ttlSeconds)) throw new RangeError(`invalid TTL: ${ttlSeconds}`);
  return String(Math.round(ttlSeconds * 1000));
}

function parseRecord(raw: unknown): Fields | undefined {
  return typeof raw === 'string' ? (JSON.parse(raw) as Fields) : undefined;
}

export class RedisStore implements Store {
  readonly kind = 'redis' as const;
  readonly #redis: Connection;
  readonly #prefix: string;
  readonly #onError: (error: unknown) => void;
  readonly #pubsub: RedisPubSub;
  #closed = false;

  constructor(options: RedisStoreOptions) {
    this.#prefix = options.keyPrefix;
    this.#onError = options.onError ?? (() => {});
    this.#redis = connect(options);
    // Unlistened, each failed reconnect would be dumped on stderr (or thrown, on some paths).
    this.#redis.on('error', (error: unknown) => this.#onError(error));
    for (const [name, lua] of Object.entries(SCRIPTS)) this.#redis.defineCommand(name, { numberOfKeys: 1, lua });
    this.#pubsub = new RedisPubSub(this.#redis, this.#prefix, {
      checkMs: options.pubsubCheckMs ?? 15_000,
      onError: this.#onError,
    });
  }

  /**
   * Every call answers within the command timeout (ioredis's `commandTimeout`, which covers the
   * offline queue while a connection reopens) or fails as unavailable: a 503 for the request,
   * not a 500. A reply error (WRONGTYPE, a script error) is the caller's and passes through.
   */
  #run<T>(call: Promise<T>): Promise<T> {
    return call.catch((error: unknown) => {
      if (error instanceof ReplyError) throw error;
      throw new StoreUnavailableError(error instanceof Error ? error.message : 'Redis is unavailable', { cause: error });
    });
  }

  #script(name: ScriptName, key: string, args: readonly string[]): Promise<unknown> {
    const commands = this.#redis as unknown as Record<ScriptName, (key: string, ...args: string[]) => Promise<unknown>>;
    return this.#run(commands[name].call(this.#redis, this.#prefix + key, ...args));
  }

  async getRecord(key: string): Promise<Fields | undefined> {
    return parseRecord(await this.#run(this.#redis.get(this.#prefix + key)));
  }

  /**
   * One MGET. A cluster spreads the keys over slots (MGET would fail with CROSSSLOT), so there
   * it is one GET per key, sent together. A key of another type reads as missing here.
   */
  async getRecords(keys: readonly string[]): Promise<(Fields | undefined)[]> {
    if (keys.length === 0) return [];
    if (this.#redis instanceof Cluster) return Promise.all(keys.map((key) => this.getRecord(key)));
    const raws = await this.#run(this.#redis.mget(keys.map((key) => this.#prefix + key)));
    return raws.map(parseRecord);
  }


  #set(key: string, fields: Fields, ttlSeconds: number | undefined, nx: boolean): Promise<'OK' | null> {
    const pttl = pttlArg(ttlSeconds);
    const value = JSON.stringify(fields);
    const k = this.#prefix + key;
    const redis = this.#redis;
    if (nx) return this.#run(pttl ? redis.set(k, value, 'PX', pttl, 'NX') : redis.set(k, value, 'NX'));
    return this.#run(pttl ? redis.set(k, value, 'PX', pttl) : redis.set(k, value));
  }

  async putRecord(key: string, fields: Fields, ttlSeconds?: number): Promise<void> {
    await this.#set(key, fields, ttlSeconds, false);
  }

  async putRecordIfAbsent(key: string, fields: Fields, ttlSeconds?: number): Promise<boolean> {
    return (await this.#set(key, fields, ttlSeconds, true)) === 'OK';
  }

  async patchRecord(key: string, fields: Fields, options: PatchOptions = {}): Promise<Fields | undefined> {
    const conditions = Object.entries(options.ifMatch ?? {});
    const args = [pttlArg(options.ttlSeconds), String(conditions.length)];
    for (const [name, condition] of conditions) {
      const allowed = typeof condition === 'string' ? [condition] : condition;
      args.push(name, String(allowed.length), ...allowed);
    }
    args.push(...Object.entries(fields).flat());
    return parseRecord(await this.#script('qridPatch', key, args));
  }

  async takeRecord(key: string): Promise<Fields | undefined> {
    return parseRecord(await this.#run(this.#redis.getdel(this.#prefix + key)));
  }

  async deleteKeys(keys: readonly string[]): Promise<number> {
    if (keys.length === 0) return 0;
    const prefixed = keys.map((key) => this.#prefix + key);
    if (!(this.#redis instanceof Cluster)) return this.#run(this.#redis.del(...prefixed));
    const counts = await Promise.all(prefixed.map((key) => this.#run(this.#redis.del(key))));
    return counts.reduce((sum, count) => sum + count, 0);
  }

  async ttl(key: string): Promise<number | undefined> {
    const ms = await this.#run(this.#redis.pttl(this.#prefix + key));
    if (ms === -2) return undefined;
    return ms === -1 ? Number.POSITIVE_INFINITY : Math.ceil(ms / 1000);
  }

  async addToIndex(key: string, member: string, ttlSeconds?: number): Promise<void> {
    const k = this.#prefix + key;
    // One after the other, not pipelined: SADD's WRONGTYPE must stop the PEXPIRE, or a record
    // under this key would get the index's lifetime. Lost between the two (a dropped
    // connection), a new index has no expiry: its members are checked by every reader anyway.
    await this.#run(this.#redis.sadd(k, member));
    const pttl = pttlArg(ttlSeconds);
    if (pttl !== '') await this.#run(this.#redis.pexpire(k, pttl));
  }

  async indexMembers(key: string): Promise<string[]> {
    return this.#run(this.#redis.smembers(this.#prefix + key));
  }

  async removeFromIndex(key: string, member: string): Promise<void> {
    await this.#run(this.#redis.srem(this.#prefix + key, member)); // Redis drops the set when it empties
  }

  async putMapEntry(key: string, entry: string, fields: Fields, options: MapEntryOptions): Promise<boolean> {
    const k = this.#prefix + key;
    const value = JSON.stringify(fields);
    // As addToIndex: one after the other, so a WRONGTYPE stops the PEXPIRE.
    if (options.ifAbsent) {
      if ((await this.#run(this.#redis.hsetnx(k, entry, value))) === 0) return false;
    } else {
      await this.#run(this.#redis.hset(k, entry, value));
    }
    await this.#run(this.#redis.pexpire(k, Number(pttlArg(options.ttlSeconds))));
    return true;
  }

  async mapEntry(key: string, entry: string): Promise<Fields | undefined> {
    return parseRecord(await this.#run(this.#redis.hget(this.#prefix + key, entry)));
  }

  async mapEntries(key: string): Promise<Map<string, Fields>> {
    const raw = await this.#run(this.#redis.hgetall(this.#prefix + key));
    return new Map(Object.entries(raw).map(([name, value]) => [name, JSON.parse(value) as Fields]));
  }

  async removeMapEntries(key: string, entries: readonly string[]): Promise<void> {
    if (entries.length > 0) await this.#run(this.#redis.hdel(this.#prefix + key, ...entries)); // Redis drops an emptied hash
  }

  async increment(key: string, windowSeconds: number): Promise<number> {
    const window = pttlArg(windowSeconds);
    if (window === '') throw new RangeError('a counter needs a finite window');
    // INCR alone (one command per hit); the first hit of a window sets its expiry. A crash
    // between the two leaves a counter without expiry, which the rate limiter removes the
    // first time it would refuse with it (see rate-limiter.ts).
    const k = this.#prefix + key;
    const count = await this.#run(this.#redis.incr(k));
    if (count === 1) await this.#run(this.#redis.pexpire(k, Number(window)));
    return count;
  }

  async counter(key: string): Promise<number> {
    return Number((await this.#run(this.#redis.get(this.#prefix + key))) ?? 0);
  }

  async publish(channel: string, message: string): Promise<void> {
    await this.#run(this.#redis.publish(this.#prefix + channel, message));
  }

  subscribe(channel: string, listener: (message: string) => void): Promise<Unsubscribe> {
    return this.#pubsub.subscribe(channel, listener);
  }

  /** Channels with a listener in this instance (for tests and metrics). */
  listenedChannels(): number {
    return this.#pubsub.listenedChannels();
  }

  async ping(): Promise<void> {
    await this.#run(this.#redis.ping());
  }

  available(): boolean {
    return this.#redis.status === 'ready';
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    // If Redis cannot take the QUIT, drop the socket: a closed store must stop reconnecting.
    await Promise.all([this.#pubsub.close(), this.#run(this.#redis.quit()).catch(() => this.#redis.disconnect())]);
  }
}

export function createRedisStore(options: RedisStoreOptions): RedisStore {
  return new RedisStore(options);
}
