/**
 * The one store interface. Everything qrid keeps — oidc-provider's models, approvals, QR
 * handles, users, devices, enrollment links, keys, rate-limit counters — is built on these
 * primitives, so an implementation only has to get these right (and the contract suite in
 * `contract.ts` checks that it does).
 *
 * Records are flat string maps (in Redis, one JSON string each). Every operation that decides who wins a race
 * (`putRecordIfAbsent`, `patchRecord` with `ifMatch`, `takeRecord`, `increment`) is atomic.
 */
export type Fields = Record<string, string>;

/** A field condition: the value must equal the string, or be one of the strings. '' means "absent". */
export type FieldCondition = string | readonly string[];

export interface PatchOptions {
  /** Apply only if every named field currently matches. */
  ifMatch?: Record<string, FieldCondition>;
  /** Replace the record's time to live (seconds). Without it the current TTL is kept. */
  ttlSeconds?: number;
}

/** How `putMapEntry` writes. */
export interface MapEntryOptions {
  /** The map then expires this long from now (seconds), shorter or longer than before, as `addToIndex`. */
  ttlSeconds: number;
  /** Write only if the entry is absent; false (and the map's TTL untouched) if it was there. */
  ifAbsent?: boolean;
}

export type Unsubscribe = () => Promise<void>;

export interface Store {
  readonly kind: 'memory' | 'redis';

  getRecord(key: string): Promise<Fields | undefined>;
  /** Several records in one round trip, in the order asked (undefined where missing). */
  getRecords(keys: readonly string[]): Promise<(Fields | undefined)[]>;
  /** Replace the record. `ttlSeconds` undefined means it never expires. */
  putRecord(key: string, fields: Fields, ttlSeconds?: number): Promise<void>;
  /** Create the record only if the key is free; true if this call created it. */
  putRecordIfAbsent(key: string, fields: Fields, ttlSeconds?: number): Promise<boolean>;
  /**
   * Merge `fields` into an existing record, atomically, if `ifMatch` holds.
   * Returns the record after the change, or undefined if it was missing or did not match.
   */
  patchRecord(key: string, fields: Fields, options?: PatchOptions): Promise<Fields | undefined>;
  /** Read and delete in one step: of concurrent callers exactly one gets the record. */
  takeRecord(key: string): Promise<Fields | undefined>;
  /** Delete keys of any kind; returns how many existed. */
  deleteKeys(keys: readonly string[]): Promise<number>;
  /** Seconds left to live; undefined if missing; Infinity if it never expires. */
  ttl(key: string): Promise<number | undefined>;

  /**
   * Add a member to a set. With `ttlSeconds` the set then expires that long from now, shorter
   * or longer than before: an index whose members all share one lifetime, renewed whenever a
   * member's is, thereby lives exactly as long as its longest-lived member (two commands on
   * Redis, where "never shorten" needed a script of four). Without it a new set never expires
   * and an existing one keeps its expiry.
   */
  addToIndex(key: string, member: string, ttlSeconds?: number): Promise<void>;
  indexMembers(key: string): Promise<string[]>;
  removeFromIndex(key: string, member: string): Promise<void>;

  /**
   * Record maps: small records kept as the entries of one key (a Redis hash), for records only
   * ever reached through one owner, such as an account's sessions. Adding an entry is one
   * write and a TTL renewal, with no separate index to keep in step with separate records.
   * Entries have no lifetime of their own: the map lives as its latest write says, and the
   * owner's code drops entries it finds stale. True if the entry was written.
   */
  putMapEntry(key: string, entry: string, fields: Fields, options: MapEntryOptions): Promise<boolean>;
  mapEntry(key: string, entry: string): Promise<Fields | undefined>;
  /** Every entry by name (empty when the map is missing). */
  mapEntries(key: string): Promise<Map<string, Fields>>;
  /** Removes entries; the map goes when its last entry does. */
  removeMapEntries(key: string, entries: readonly string[]): Promise<void>;

  /**
   * Atomically add 1 and return the new count; the counter expires `windowSeconds` after its
   * first increment (`ttl` tells how long is left, which only a refusal needs).
   */
  increment(key: string, windowSeconds: number): Promise<number>;
  /** A counter's value (0 when absent). */
  counter(key: string): Promise<number>;

  publish(channel: string, message: string): Promise<void>;
  /**
   * Resolves once messages published from now on reach `listener`. Delivery is at most once:
   * a message published while a subscriber's connection is down is lost, so a listener that
   * must not miss a change reads the state itself after subscribing.
   */
  subscribe(channel: string, listener: (message: string) => void): Promise<Unsubscribe>;

  /** Throws if the store cannot serve requests. */
  ping(): Promise<void>;
  /** False while the store is known to be unreachable (no round trip; for fast 503s). */
  available(): boolean;
  close(): Promise<void>;
}

export function conditionHolds(current: string | undefined, condition: FieldCondition): boolean {
  const value = current ?? '';
  return typeof condition === 'string' ? value === condition : condition.includes(value);
}

/** The store could not be reached (connection lost, timeout): a 503, not a bug. */
export class StoreUnavailableError extends Error {
  override readonly name = 'StoreUnavailableError';
}
