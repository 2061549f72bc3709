import { EventEmitter } from 'node:events';

import { conditionHolds, type Fields, type MapEntryOptions, type PatchOptions, type Store, type Unsubscribe } from './store.js';

/**
 * The embedded store: everything in this process's memory, lost on restart. It exists so that
 * `npm start` works with nothing installed; real deployments use the Redis store.
 * JavaScript runs one callback at a time, so each method body below is atomic by construction.
 */
type Entry =
  | { type: 'hash'; value: Fields; expiresAt: number }
  | { type: 'set'; value: Set<string>; expiresAt: number }
  | { type: 'map'; value: Map<string, Fields>; expiresAt: number }
  | { type: 'counter'; value: number; expiresAt: number };

const FOREVER = Number.POSITIVE_INFINITY;

export interface MemoryStoreOptions {
  /** How often expired entries are swept (ms). They are also ignored on read. */
  sweepIntervalMs?: number;
  now?: () => number;
}

export class MemoryStore implements Store {
  readonly kind = 'memory' as const;
  readonly #entries = new Map<string, Entry>();
  readonly #bus = new EventEmitter();
  readonly #now: () => number;
  readonly #sweeper: NodeJS.Timeout;

  constructor(options: MemoryStoreOptions = {}) {
    this.#now = options.now ?? Date.now;
    this.#bus.setMaxListeners(0);
    this.#sweeper = setInterval(() => this.#sweep(), options.sweepIntervalMs ?? 30_000);
    this.#sweeper.unref();
  }

  #expiry(ttlSeconds: number | undefined): number {
    return ttlSeconds === undefined ? FOREVER : this.#now() + ttlSeconds * 1000;
  }

  #live(key: string): Entry | undefined {
    const entry = this.#entries.get(key);
    if (!entry) return undefined;
    if (entry.expiresAt <= this.#now()) {
      this.#entries.delete(key);
      return undefined;
    }
    return entry;
  }

  #hash(key: string): (Entry & { type: 'hash' }) | undefined {
    const entry = this.#live(key);
    if (entry && entry.type !== 'hash') throw new TypeError(`store key ${key} does not hold a record`);
    return entry as (Entry & { type: 'hash' }) | undefined;
  }

  #sweep(): void {
    const now = this.#now();
    for (const [key, entry] of this.#entries) if (entry.expiresAt <= now) this.#entries.delete(key);
  }

  #copy(key: string): Fields | undefined {
    const entry = this.#hash(key);
    return entry ? { ...entry.value } : undefined;
  }

  async getRecord(key: string): Promise<Fields | undefined> {
    return this.#copy(key);
  }

  async getRecords(keys: readonly string[]): Promise<(Fields | undefined)[]> {
    return keys.map((key) => this.#copy(key));
  }


  async putRecord(key: string, fields: Fields, ttlSeconds?: number): Promise<void> {
    this.#entries.set(key, { type: 'hash', value: { ...fields }, expiresAt: this.#expiry(ttlSeconds) });
  }

  async putRecordIfAbsent(key: string, fields: Fields, ttlSeconds?: number): Promise<boolean> {
    if (this.#live(key)) return false;
    this.#entries.set(key, { type: 'hash', value: { ...fields }, expiresAt: this.#expiry(ttlSeconds) });
    return true;
  }

  async patchRecord(key: string, fields: Fields, options: PatchOptions = {}): Promise<Fields | undefined> {
    const entry = this.#hash(key);
    if (!entry) return undefined;
    for (const [name, condition] of Object.entries(options.ifMatch ?? {})) {
      if (!conditionHolds(entry.value[name], condition)) return undefined;
    }
    Object.assign(entry.value, fields);
    if (options.ttlSeconds !== undefined) entry.expiresAt = this.#expiry(options.ttlSeconds);
    return { ...entry.value };
  }

  async takeRecord(key: string): Promise<Fields | undefined> {
    const entry = this.#hash(key);
    if (!entry) return undefined;
    this.#entries.delete(key);
    return entry.value;
  }

  async deleteKeys(keys: readonly string[]): Promise<number> {
    let deleted = 0;
    for (const key of keys) {
      if (this.#live(key)) deleted += 1;
      this.#entries.delete(key);
    }
    return deleted;
  }

  async ttl(key: string): Promise<number | undefined> {
    const entry = this.#live(key);
    if (!entry) return undefined;
    return entry.expiresAt === FOREVER ? FOREVER : Math.ceil((entry.expiresAt - this.#now()) / 1000);
  }

  async addToIndex(key: string, member: string, ttlSeconds?: number): Promise<void> {
    const entry = this.#live(key);
    if (entry && entry.type !== 'set') throw new TypeError(`store key ${key} does not hold an index`);
    if (!entry) {
      this.#entries.set(key, { type: 'set', value: new Set([member]), expiresAt: this.#expiry(ttlSeconds) });
      return;
    }
    entry.value.add(member);
    if (ttlSeconds !== undefined) entry.expiresAt = this.#expiry(ttlSeconds);
  }

  async indexMembers(key: string): Promise<string[]> {
    const entry = this.#live(key);
    if (!entry) return [];
    if (entry.type !== 'set') throw new TypeError(`store key ${key} does not hold an index`);
    return [...entry.value];
  }

  async removeFromIndex(key: string, member: string): Promise<void> {
    const entry = this.#live(key);
    if (!entry || entry.type !== 'set') return;
    entry.value.delete(member);
    if (entry.value.size === 0) this.#entries.delete(key);
  }

  #map(key: string): (Entry & { type: 'map' }) | undefined {
    const entry = this.#live(key);
    if (entry && entry.type !== 'map') throw new TypeError(`store key ${key} does not hold a record map`);
    return entry as (Entry & { type: 'map' }) | undefined;
  }

  async putMapEntry(key: string, entry: string, fields: Fields, options: MapEntryOptions): Promise<boolean> {
    const map = this.#map(key);
    if (options.ifAbsent && map?.value.has(entry)) return false;
    if (map) {
      map.value.set(entry, { ...fields });
      map.expiresAt = this.#expiry(options.ttlSeconds);
    } else {
      this.#entries.set(key, { type: 'map', value: new Map([[entry, { ...fields }]]), expiresAt: this.#expiry(options.ttlSeconds) });
    }
    return true;
  }

  async mapEntry(key: string, entry: string): Promise<Fields | undefined> {
    const found = this.#map(key)?.value.get(entry);
    return found ? { ...found } : undefined;
  }

  async mapEntries(key: string): Promise<Map<string, Fields>> {
    return new Map([...(this.#map(key)?.value ?? [])].map(([name, fields]) => [name, { ...fields }]));
  }

  async removeMapEntries(key: string, entries: readonly string[]): Promise<void> {
    const entry = this.#live(key);
    if (!entry || entry.type !== 'map') return;
    for (const name of entries) entry.value.delete(name);
    if (entry.value.size === 0) this.#entries.delete(key);
  }

  async increment(key: string, windowSeconds: number): Promise<number> {
    const entry = this.#live(key);
    if (!entry) {
      this.#entries.set(key, { type: 'counter', value: 1, expiresAt: this.#expiry(windowSeconds) });
      return 1;
    }
    if (entry.type !== 'counter') throw new TypeError(`store key ${key} does not hold a counter`);
    entry.value += 1;
    return entry.value;
  }

  async counter(key: string): Promise<number> {
    const entry = this.#live(key);
    if (!entry) return 0;
    if (entry.type !== 'counter') throw new TypeError(`store key ${key} does not hold a counter`);
    return entry.value;
  }

  async publish(channel: string, message: string): Promise<void> {
    // Delivered on a later tick, as a network pub/sub would be: publishers never run listeners inline.
    setImmediate(() => {
      this.#bus.emit(channel, message);
    });
  }

  async subscribe(channel: string, listener: (message: string) => void): Promise<Unsubscribe> {
    this.#bus.on(channel, listener);
    return async () => {
      this.#bus.off(channel, listener);
    };
  }

  async ping(): Promise<void> {}

  available(): boolean {
    return true;
  }

  async close(): Promise<void> {
    clearInterval(this.#sweeper);
    this.#bus.removeAllListeners();
  }

  /** Number of live keys; for tests and the start-up warning. */
  size(): number {
    this.#sweep();
    return this.#entries.size;
  }
}
