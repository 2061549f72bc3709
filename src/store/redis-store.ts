/**
 * The Redis store: what several qrid processes share. Other clients act on the same keys at the
 * same time, so it enforces:
 * - every operation that decides a race is one Lua script or one command, never a read here
 *   followed by a write (another process could act in between);
 * - every script touches exactly one key, so it runs unchanged on Redis Cluster (multi-key
 *   DEL is split per key there, since the keys may live in different slots);
 * - a key of the wrong type makes the operation reject (WRONGTYPE) before anything is written;
 * - every key and pub/sub channel carries `keyPrefix`, so deployments can share one Redis;
 * - when Redis is down, calls fail within about `commandTimeoutMs` instead of hanging, and the
 *   client reconnects by itself when Redis returns.
 */
import { Cluster, Redis, type RedisOptions, ReplyError } from 'ioredis';

import { type Fields, type PatchOptions, type Store, StoreUnavailableError, type Unsubscribe } from './store.js';

export type RedisNode = { host: string; port: number };

export interface RedisStoreOptions {
  /**
   * redis:// or rediss:// URL (default redis://127.0.0.1:6379). With `sentinels` or `cluster`
   * only its credentials, TLS and database number are used.
   */
  url?: string;
  /** Prepended to every key and channel, e.g. 'qrid:'. */
  keyPrefix: string;
  sentinels?: { name: string; nodes: readonly RedisNode[]; password?: string };
  cluster?: { nodes: readonly RedisNode[] };
  connectTimeoutMs?: number;
  /** Longest a call may wait for Redis before it rejects (default 2000). */
  commandTimeoutMs?: number;
  /** Connection errors and exceptions thrown by subscribers; the client keeps retrying regardless. */
  onError?: (error: unknown) => void;
}

type Connection = Redis | Cluster;
type Listener = (message: string) => void;
type Channel = { listeners: Set<Listener>; ready: Promise<unknown> };

// KEYS[1] record; ARGV: mode ('replace' | 'nx'), pttl ('' = none), field, value, ...
// Replacing deletes first so no field of the old record survives, whatever the old key held.
const WRITE = `
if ARGV[1] == 'nx' then
  if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
else redis.call('DEL', KEYS[1]) end
redis.call('HSET', KEYS[1], unpack(ARGV, 3))
if ARGV[2] ~= '' then redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return 1`;

// KEYS[1] record; ARGV: pttl ('' = keep), condition count, then per condition: field, n,
// n allowed values; then field, value, ... to merge. Returns the record after, or nil.
// One HGETALL reads the record (and raises WRONGTYPE for another kind of key); conditions and
// the merged result are computed here, so a patch costs two or three commands, not one per field.
const PATCH = `
local flat = redis.call('HGETALL', KEYS[1])
if #flat == 0 then return false end
local record = {}
for k = 1, #flat, 2 do record[flat[k]] = flat[k + 1] end
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
  redis.call('HSET', KEYS[1], unpack(ARGV, i))
  for k = i, #ARGV, 2 do record[ARGV[k]] = ARGV[k + 1] end
end
if ARGV[1] ~= '' then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
local out = {}
for field, value in pairs(record) do
  out[#out + 1] = field
  out[#out + 1] = value
end
return out`;

// HGETALL raises WRONGTYPE before the DEL; a missing key reads as an empty list.
const TAKE = `
local fields = redis.call('HGETALL', KEYS[1])
if #fields == 0 then return false end
redis.call('DEL', KEYS[1])
return fields`;

// KEYS[1] set; ARGV: member, pttl ('' = persistent). PTTL before SADD: -2 new, -1 persistent.
// SADD raises WRONGTYPE before any change.
const ADD_TO_INDEX = `
local before = redis.call('PTTL', KEYS[1])
redis.call('SADD', KEYS[1], ARGV[1])
if ARGV[2] == '' then redis.call('PERSIST', KEYS[1])
elseif before == -2 or (before >= 0 and before < tonumber(ARGV[2])) then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
end`;

// KEYS[1] counter; ARGV: window (ms). A counter found without expiry (written by hand, or an
// older bug) gets the window too, so it cannot block a client forever.
const INCREMENT = `
local count = redis.call('INCR', KEYS[1])
local pttl = redis.call('PTTL', KEYS[1])
if count == 1 or pttl == -1 then
  redis.call('PEXPIRE', KEYS[1], ARGV[1])
  pttl = tonumber(ARGV[1])
end
return {count, pttl}`;

const SCRIPTS = {
  qridWrite: WRITE, qridPatch: PATCH, qridTake: TAKE, qridAddToIndex: ADD_TO_INDEX, qridIncrement: INCREMENT,
};
type ScriptName = keyof typeof SCRIPTS;

/** Milliseconds for PEXPIRE, or '' for "no expiry". */
function pttlArg(ttlSeconds: number | undefined): string {
  if (ttlSeconds === undefined || ttlSeconds === Number.POSITIVE_INFINITY) return '';
  if (!Number.isFinite(ttlSeconds)) throw new RangeError(`invalid TTL: ${ttlSeconds}`);
  return String(Math.round(ttlSeconds * 1000));
}

function toFields(flat: unknown): Fields | undefined {
  if (!Array.isArray(flat) || flat.length === 0) return undefined;
  const fields: Fields = {};
  for (let i = 0; i < flat.length; i += 2) fields[String(flat[i])] = String(flat[i + 1]);
  return fields;
}

function urlOptions(url: string | undefined): RedisOptions {
  if (!url) return {};
  const { username, password, protocol, pathname } = new URL(url);
  const db = Number(pathname.slice(1));
  const options: RedisOptions = {};
  if (username) options.username = decodeURIComponent(username);
  if (password) options.password = decodeURIComponent(password);
  if (protocol === 'rediss:') options.tls = {};
  if (Number.isInteger(db) && db > 0) options.db = db;
  return options;
}

function connect(options: RedisStoreOptions, commandTimeoutMs: number): Connection {
  const backoff = (attempt: number) => Math.min(50 * 2 ** attempt, 2_000);
  const common: RedisOptions = {
    connectTimeout: options.connectTimeoutMs ?? 2_000,
    commandTimeout: commandTimeoutMs,
    // The offline queue stays on so calls made while the first connection opens wait for it;
    // this fails queued calls after two lost reconnect attempts instead of holding them.
    maxRetriesPerRequest: 1,
    retryStrategy: backoff,
  };
  if (options.cluster) {
    const { db: _db, ...credentials } = urlOptions(options.url); // Cluster has only database 0
    return new Cluster([...options.cluster.nodes], {
      redisOptions: { ...common, ...credentials },
      clusterRetryStrategy: backoff,
    });
  }
  if (options.sentinels) {
    return new Redis({
      ...common,
      ...urlOptions(options.url),
      sentinels: [...options.sentinels.nodes],
      name: options.sentinels.name,
      ...(options.sentinels.password ? { sentinelPassword: options.sentinels.password } : {}),
    });
  }
  return new Redis(options.url ?? 'redis://127.0.0.1:6379', common);
}

export class RedisStore implements Store {
  readonly kind = 'redis' as const;
  readonly #redis: Connection;
  readonly #prefix: string;
  readonly #timeoutMs: number;
  readonly #onError: (error: unknown) => void;
  readonly #channels = new Map<string, Channel>();
  #subscriber: Connection | undefined;
  #closed = false;

  constructor(options: RedisStoreOptions) {
    this.#prefix = options.keyPrefix;
    this.#timeoutMs = options.commandTimeoutMs ?? 2_000;
    this.#onError = options.onError ?? (() => {});
    this.#redis = connect(options, this.#timeoutMs);
    // Unlistened, each failed reconnect would be dumped on stderr (or thrown, on some paths).
    this.#redis.on('error', (error: unknown) => this.#onError(error));
    for (const [name, lua] of Object.entries(SCRIPTS)) this.#redis.defineCommand(name, { numberOfKeys: 1, lua });
  }

  /**
   * ioredis's commandTimeout does not cover Cluster's own queue (calls wait there until the
   * cluster is ready), so every call is also raced against a deadline here.
   */
  async #run<T>(call: Promise<T>): Promise<T> {
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<never>((_, reject) => {
      const error = new Error(`Redis did not answer within ${this.#timeoutMs} ms`);
      timer = setTimeout(() => reject(error), this.#timeoutMs + 500);
    });
    try {
      return await Promise.race([call, deadline]);
    } catch (error) {
      // A reply error (WRONGTYPE, a script error) is the caller's problem; anything else means
      // Redis could not be reached, which callers answer with 503 rather than 500.
      if (error instanceof ReplyError) throw error;
      throw new StoreUnavailableError(`Redis is unavailable: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
    } finally {
      clearTimeout(timer);
    }
  }

  #script(name: ScriptName, key: string, args: readonly string[]): Promise<unknown> {
    const commands = this.#redis as unknown as Record<ScriptName, (key: string, ...args: string[]) => Promise<unknown>>;
    return this.#run(commands[name].call(this.#redis, this.#prefix + key, ...args));
  }

  async getRecord(key: string): Promise<Fields | undefined> {
    const fields = await this.#run(this.#redis.hgetall(this.#prefix + key));
    return Object.keys(fields).length > 0 ? fields : undefined;
  }

  /** Redis cannot hold a hash without fields, so an empty record is refused with a TypeError. */
  #write(mode: 'replace' | 'nx', key: string, fields: Fields, ttlSeconds: number | undefined): Promise<unknown> {
    const flat = Object.entries(fields).flat();
    if (flat.length === 0) throw new TypeError(`store record ${key} needs at least one field`);
    return this.#script('qridWrite', key, [mode, pttlArg(ttlSeconds), ...flat]);
  }

  async putRecord(key: string, fields: Fields, ttlSeconds?: number): Promise<void> {
    await this.#write('replace', key, fields, ttlSeconds);
  }

  async putRecordIfAbsent(key: string, fields: Fields, ttlSeconds?: number): Promise<boolean> {
    return (await this.#write('nx', key, fields, ttlSeconds)) === 1;
  }

  async patchRecord(key: string, fields: Fields, options: PatchOptions = {}): Promise<Fields | undefined> {
    const conditions = Object.entries(options.ifMatch ?? {});
    const args = [pttlArg(options.ttlSeconds), String(conditions.length)];
    for (const [name, condition] of conditions) {
      const allowed = typeof condition === 'string' ? [condition] : condition;
      args.push(name, String(allowed.length), ...allowed);
    }
    args.push(...Object.entries(fields).flat());
    return toFields(await this.#script('qridPatch', key, args));
  }

  async takeRecord(key: string): Promise<Fields | undefined> {
    return toFields(await this.#script('qridTake', key, []));
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
    await this.#script('qridAddToIndex', key, [member, pttlArg(ttlSeconds)]);
  }

  async indexMembers(key: string): Promise<string[]> {
    return this.#run(this.#redis.smembers(this.#prefix + key));
  }

  async removeFromIndex(key: string, member: string): Promise<void> {
    await this.#run(this.#redis.srem(this.#prefix + key, member)); // Redis drops the set when it empties
  }

  async increment(key: string, windowSeconds: number): Promise<{ count: number; ttlSeconds: number }> {
    const window = pttlArg(windowSeconds);
    if (window === '') throw new RangeError('a counter needs a finite window');
    const [count, pttl] = (await this.#script('qridIncrement', key, [window])) as [number, number];
    return { count, ttlSeconds: Math.max(1, Math.ceil(pttl / 1000)) };
  }

  async counter(key: string): Promise<{ count: number; ttlSeconds: number }> {
    const [value, pttl] = await this.#run(Promise.all([this.#redis.get(this.#prefix + key), this.#redis.pttl(this.#prefix + key)]));
    if (value === null) return { count: 0, ttlSeconds: 0 };
    return { count: Number(value), ttlSeconds: Math.max(1, Math.ceil(pttl / 1000)) };
  }

  async publish(channel: string, message: string): Promise<void> {
    await this.#run(this.#redis.publish(this.#prefix + channel, message));
  }

  /** One connection carries every subscription of this store; messages are routed here. */
  #subscriberConnection(): Connection {
    if (this.#closed) throw new Error('store is closed');
    if (!this.#subscriber) {
      // No ready check: ioredis sends INFO once connected, and if SUBSCRIBEs queued meanwhile
      // already put the connection in subscriber mode, that INFO fails and takes the queued
      // subscriptions down with it (seen as 503s on the first burst of waiting pages).
      const subscriber =
        this.#redis instanceof Cluster
          ? this.#redis.duplicate(undefined, { enableReadyCheck: false })
          : this.#redis.duplicate({ enableReadyCheck: false });
      subscriber.on('error', (error: unknown) => this.#onError(error));
      subscriber.on('message', (channel: string, message: string) => {
        // One failing listener must not starve the others, nor break the connection's reader.
        for (const listener of this.#channels.get(channel)?.listeners ?? []) {
          try {
            listener(message);
          } catch (error) {
            this.#onError(error);
          }
        }
      });
      this.#subscriber = subscriber;
    }
    return this.#subscriber;
  }

  /** The channel's entry, subscribing on first use; a failed SUBSCRIBE leaves no entry behind. */
  #channel(name: string): Channel {
    const existing = this.#channels.get(name);
    if (existing) return existing;
    const entry: Channel = { listeners: new Set(), ready: this.#run(this.#subscriberConnection().subscribe(name)) };
    entry.ready.catch(() => this.#channels.get(name) === entry && this.#channels.delete(name));
    this.#channels.set(name, entry);
    return entry;
  }

  async subscribe(channel: string, listener: Listener): Promise<Unsubscribe> {
    const name = this.#prefix + channel;
    const entry = this.#channel(name);
    // A wrapper per call, so one function subscribed twice is called twice, as in memory.
    const own: Listener = (message) => listener(message);
    entry.listeners.add(own);
    await entry.ready.catch((error: unknown) => {
      entry.listeners.delete(own);
      throw error;
    });
    let active = true;
    return async () => {
      if (!active) return;
      active = false;
      entry.listeners.delete(own);
      if (entry.listeners.size > 0 || this.#channels.get(name) !== entry) return;
      this.#channels.delete(name);
      if (!this.#closed) await this.#run(this.#subscriberConnection().unsubscribe(name));
    };
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
    this.#channels.clear();
    const connections = this.#subscriber ? [this.#redis, this.#subscriber] : [this.#redis];
    // If Redis cannot take the QUIT, drop the socket: a closed store must stop reconnecting.
    await Promise.all(connections.map((c) => this.#run(c.quit()).catch(() => c.disconnect())));
  }
}

export function createRedisStore(options: RedisStoreOptions): RedisStore {
  return new RedisStore(options);
}
