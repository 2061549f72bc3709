import { type Fields, type MapEntryOptions, type PatchOptions, type Store, type Unsubscribe } from './store.js';

/**
 * A Store that keeps recently read records and indexes of some key prefixes (users, devices,
 * a device's passkeys) in this process, for the records every phone request and token
 * exchange reads but that rarely change.
 *
 * What it enforces:
 * - every write through any qrid process (server or CLI) to a cached key drops it here and,
 *   through one pub/sub channel, in every other process, before the write call returns here
 *   (elsewhere within the pub/sub delay, milliseconds);
 * - a read that raced a write never caches the old value (an epoch bumped by every
 *   invalidation; a load that started before it is returned but not kept);
 * - an entry lives at most `ttlMs`, which bounds staleness if an invalidation message is lost
 *   (pub/sub does not replay messages missed while disconnected), and the whole cache is
 *   dropped whenever the store is seen unavailable;
 * - everything else passes straight through.
 */
export interface CachedStoreOptions {
  /** Key prefixes whose records and indexes are cached, e.g. ['user:', 'device:']. */
  prefixes: readonly string[];
  ttlMs: number;
  /** Largest number of entries kept; the oldest go first. */
  maxEntries?: number;
  now?: () => number;
}

const CHANNEL = 'cache-invalidate';

type Entry = { value: Fields | string[] | undefined; until: number };

export class CachedStore implements Store {
  readonly kind: Store['kind'];
  readonly #inner: Store;
  readonly #prefixes: readonly string[];
  readonly #ttlMs: number;
  readonly #max: number;
  readonly #now: () => number;
  readonly #entries = new Map<string, Entry>();
  #epoch = 0;
  #unsubscribe: Unsubscribe | undefined;
  #starting: Promise<void> | undefined;

  constructor(inner: Store, options: CachedStoreOptions) {
    this.#inner = inner;
    this.kind = inner.kind;
    this.#prefixes = options.prefixes;
    this.#ttlMs = options.ttlMs;
    this.#max = options.maxEntries ?? 50_000;
    this.#now = options.now ?? Date.now;
  }


  /**
   * Listens for other processes' invalidations; until that works nothing is cached (reads
   * retry it, so a store that was down at start-up gets its cache once it is back).
   */
  start(): Promise<void> {
    this.#starting ??= this.#inner.subscribe(CHANNEL, (key) => this.#drop(key)).then(
      (unsubscribe) => {
        this.#unsubscribe = unsubscribe;
      },
      (error: unknown) => {
        this.#starting = undefined;
        throw error;
      },
    );
    return this.#starting;
  }

  #covers(key: string): boolean {
    return this.#prefixes.some((prefix) => key.startsWith(prefix));
  }

  #cacheable(key: string): boolean {
    if (!this.#covers(key)) return false;
    if (!this.#unsubscribe) void this.start().catch(() => undefined);
    return this.#unsubscribe !== undefined;
  }

  #drop(key: string): void {
    this.#epoch += 1;
    this.#entries.delete(key);
  }

  async #invalidate(keys: readonly string[]): Promise<void> {
    const cached = keys.filter((key) => this.#covers(key));
    for (const key of cached) this.#drop(key);
    await Promise.all(cached.map((key) => this.#inner.publish(CHANNEL, key)));
  }

  async #read<T extends Fields | string[] | undefined>(key: string, load: () => Promise<T>, copy: (value: T) => T): Promise<T> {
    if (!this.#cacheable(key)) return load();
    if (!this.#inner.available()) {
      this.#entries.clear();
      return load();
    }
    const hit = this.#entries.get(key);
    if (hit && hit.until > this.#now()) return copy(hit.value as T);
    const epoch = this.#epoch;
    const value = await load();
    if (epoch === this.#epoch) {
      this.#entries.delete(key); // re-inserted last: the Map's order is the eviction order
      this.#entries.set(key, { value: copy(value), until: this.#now() + this.#ttlMs });
      if (this.#entries.size > this.#max) this.#entries.delete(this.#entries.keys().next().value as string);
    }
    return value;
  }

  getRecords(keys: readonly string[]): Promise<(Fields | undefined)[]> {
    if (!keys.some((key) => this.#covers(key))) return this.#inner.getRecords(keys);
    return Promise.all(keys.map((key) => this.getRecord(key)));
  }


  getRecord(key: string): Promise<Fields | undefined> {
    return this.#read(key, () => this.#inner.getRecord(key), (value) => (value ? { ...value } : undefined));
  }

  indexMembers(key: string): Promise<string[]> {
    return this.#read(key, () => this.#inner.indexMembers(key), (value) => [...value]);
  }

  async #write<T>(keys: readonly string[], write: () => Promise<T>): Promise<T> {
    try {
      return await write();
    } finally {
      await this.#invalidate(keys);
    }
  }

  putRecord(key: string, fields: Fields, ttlSeconds?: number): Promise<void> {
    return this.#write([key], () => this.#inner.putRecord(key, fields, ttlSeconds));
  }

  putRecordIfAbsent(key: string, fields: Fields, ttlSeconds?: number): Promise<boolean> {
    return this.#write([key], () => this.#inner.putRecordIfAbsent(key, fields, ttlSeconds));
  }

  patchRecord(key: string, fields: Fields, options?: PatchOptions): Promise<Fields | undefined> {
    return this.#write([key], () => this.#inner.patchRecord(key, fields, options));
  }

  takeRecord(key: string): Promise<Fields | undefined> {
    return this.#write([key], () => this.#inner.takeRecord(key));
  }

  deleteKeys(keys: readonly string[]): Promise<number> {
    return this.#write(keys, () => this.#inner.deleteKeys(keys));
  }

  addToIndex(key: string, member: string, ttlSeconds?: number): Promise<void> {
    return this.#write([key], () => this.#inner.addToIndex(key, member, ttlSeconds));
  }

  removeFromIndex(key: string, member: string): Promise<void> {
    return this.#write([key], () => this.#inner.removeFromIndex(key, member));
  }

  putMapEntry(key: string, entry: string, fields: Fields, options: MapEntryOptions): Promise<boolean> {
    return this.#write([key], () => this.#inner.putMapEntry(key, entry, fields, options));
  }

  mapEntry(key: string, entry: string): Promise<Fields | undefined> {
    return this.#inner.mapEntry(key, entry);
  }

  mapEntries(key: string): Promise<Map<string, Fields>> {
    return this.#inner.mapEntries(key);
  }

  removeMapEntries(key: string, entries: readonly string[]): Promise<void> {
    return this.#write([key], () => this.#inner.removeMapEntries(key, entries));
  }

  ttl(key: string): Promise<number | undefined> {
    return this.#inner.ttl(key);
  }

  increment(key: string, windowSeconds: number): Promise<number> {
    return this.#inner.increment(key, windowSeconds);
  }

  counter(key: string): Promise<number> {
    return this.#inner.counter(key);
  }

  publish(channel: string, message: string): Promise<void> {
    return this.#inner.publish(channel, message);
  }

  subscribe(channel: string, listener: (message: string) => void): Promise<Unsubscribe> {
    return this.#inner.subscribe(channel, listener);
  }

  ping(): Promise<void> {
    return this.#inner.ping();
  }

  available(): boolean {
    return this.#inner.available();
  }

  async close(): Promise<void> {
    this.#entries.clear();
    await this.#unsubscribe?.().catch(() => undefined);
    await this.#inner.close();
  }

  /** Entries held (for tests). */
  get size(): number {
    return this.#entries.size;
  }
}
