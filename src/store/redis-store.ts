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
import { Cluster, Redis, type RedisOptions, ReplyError } from 'ioredis';

import { type Fields, type MapEntryOptions, type PatchOptions, readRecordsAndCounter, type RecordsAndCounter, type Store, StoreUnavailableError, type Unsubscribe } from './store.js';

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

/** Pub/sub channels are matched by one pattern, so glob characters in the prefix are escaped. */
function patternFor(prefix: string): string {
  return `${prefix.replace(/[*?[\]\\]/g, '\\$&')}*`;
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
  /** Local listeners by full channel name; Redis knows only this instance's one pattern. */
  readonly #listeners = new Map<string, Set<Listener>>();
  readonly #prefixListeners = new Set<{ prefix: string; listener: (channel: string, message: string) => void }>();
  #subscriber: Connection | undefined;
  #patternReady: Promise<unknown> | undefined;
  /** When Redis last confirmed the pattern subscription on a connection that has not dropped since. */
  #deliveringSince: number | undefined;
  #confirmedOnce = false;
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
    // The error is made only when the deadline passes: capturing a stack trace for every
    // command was 3–4 % of a loaded server's CPU.
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`Redis did not answer within ${this.#timeoutMs} ms`)), this.#timeoutMs + 500);
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

  /** One MGET (a GET each on a cluster, where the keys may live in different slots). */
  async getRecordsAndCounter(recordKeys: readonly string[], counterKey: string): Promise<RecordsAndCounter> {
    if (this.#redis instanceof Cluster) return readRecordsAndCounter(this, recordKeys, counterKey);
    const raws = await this.#run(this.#redis.mget([...recordKeys, counterKey].map((key) => this.#prefix + key)));
    const counted = raws.pop();
    return { records: raws.map(parseRecord), count: Number(counted ?? 0) };
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

  /**
   * One connection and one pattern subscription (`<prefix>*`) carry every subscription of this
   * instance: a waiting page costs a map entry here, not a SUBSCRIBE and UNSUBSCRIBE in Redis.
   * Every instance sees every event of its prefix and routes it in process.
   */
  #subscribed(): Promise<unknown> {
    if (this.#closed) return Promise.reject(new Error('store is closed'));
    if (!this.#subscriber) {
      // No ready check: ioredis sends INFO once connected, and if the queued PSUBSCRIBE already
      // put the connection in subscriber mode, that INFO fails and takes the subscription with it.
      const subscriber =
        this.#redis instanceof Cluster
          ? this.#redis.duplicate(undefined, { enableReadyCheck: false })
          : this.#redis.duplicate({ enableReadyCheck: false });
      subscriber.on('error', (error: unknown) => this.#onError(error));
      subscriber.on('pmessage', (_pattern: string, channel: string, message: string) => {
        // One failing listener must not starve the others, nor break the connection's reader.
        for (const listener of this.#listeners.get(channel) ?? []) {
          try {
            listener(message);
          } catch (error) {
            this.#onError(error);
          }
        }
        if (this.#prefixListeners.size === 0) return;
        const own = channel.slice(this.#prefix.length);
        for (const { prefix, listener } of this.#prefixListeners) {
          if (!own.startsWith(prefix)) continue;
          try {
            listener(own, message);
          } catch (error) {
            this.#onError(error);
          }
        }
      });
      // Messages published while the connection is down are lost for good: from the drop until
      // Redis confirms the pattern again, this store cannot vouch for having seen everything.
      subscriber.on('close', () => (this.#deliveringSince = undefined));
      // ioredis resubscribes by itself after a reconnect but says nothing when Redis confirms;
      // a PSUBSCRIBE of our own (the same pattern, so no double delivery) is answered after it.
      subscriber.on('ready', () => {
        if (this.#confirmedOnce && this.#deliveringSince === undefined) void this.#confirm(subscriber).catch(() => undefined);
      });
      this.#subscriber = subscriber;
    }
    if (!this.#patternReady) {
      const ready = this.#confirm(this.#subscriber);
      // A failed PSUBSCRIBE is retried by the next subscriber (ioredis resubscribes by itself
      // after a reconnect once it has succeeded).
      ready.catch(() => this.#patternReady === ready && (this.#patternReady = undefined));
      this.#patternReady = ready;
    }
    return this.#patternReady;
  }

  async #confirm(subscriber: Connection): Promise<void> {
    await this.#run(subscriber.psubscribe(patternFor(this.#prefix)));
    this.#confirmedOnce = true;
    // Cluster routes pub/sub through connections of its own whose drops it does not report
    // here, so a Cluster store never vouches for gap-free delivery.
    if (subscriber.status === 'ready' && !(subscriber instanceof Cluster) && !this.#closed) this.#deliveringSince ??= Date.now();
  }

  async subscribe(channel: string, listener: Listener): Promise<Unsubscribe> {
    const name = this.#prefix + channel;
    // A wrapper per call, so one function subscribed twice is called twice, as in memory.
    const own: Listener = (message) => listener(message);
    const forget = () => {
      const set = this.#listeners.get(name);
      set?.delete(own);
      if (set?.size === 0) this.#listeners.delete(name);
    };
    let set = this.#listeners.get(name);
    if (!set) this.#listeners.set(name, (set = new Set()));
    set.add(own);
    try {
      await this.#subscribed();
    } catch (error) {
      forget();
      throw error;
    }
    return async () => forget();
  }

  async subscribePrefix(prefix: string, listener: (channel: string, message: string) => void): Promise<Unsubscribe> {
    const entry = { prefix, listener };
    this.#prefixListeners.add(entry);
    try {
      await this.#subscribed();
    } catch (error) {
      this.#prefixListeners.delete(entry);
      throw error;
    }
    return async () => void this.#prefixListeners.delete(entry);
  }

  deliveringSince(): number | undefined {
    return this.#deliveringSince;
  }

  /** Channels with a listener in this instance (for tests and metrics). */
  listenedChannels(): number {
    return this.#listeners.size;
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
    this.#listeners.clear();
    this.#prefixListeners.clear();
    this.#deliveringSince = undefined;
    const connections = this.#subscriber ? [this.#redis, this.#subscriber] : [this.#redis];
    // If Redis cannot take the QUIT, drop the socket: a closed store must stop reconnecting.
    await Promise.all(connections.map((c) => this.#run(c.quit()).catch(() => c.disconnect())));
  }
}

export function createRedisStore(options: RedisStoreOptions): RedisStore {
  return new RedisStore(options);
}
