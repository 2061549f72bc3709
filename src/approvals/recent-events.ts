import type { Store, Unsubscribe } from '../store/store.js';

/**
 * The last event of every approval in the past minute, as this process received it through
 * the store's pub/sub (every instance receives every approval's events).
 *
 * A waiting page's event stream opens moments after the page was rendered; it must not miss a
 * decision made in between. Reading the approval again is one store command per login. This
 * log answers instead, but only when it can prove it saw everything since the page was
 * rendered: the store vouches for gap-free delivery since before then, and the log itself was
 * listening and has kept everything since then. Otherwise the caller reads the store.
 *
 * `since` comes from the page, i.e. from the clock of whichever instance rendered it, and
 * arrives in a request the browser can alter. A wrong value only changes which of the two
 * paths answers this one browser's stream. The margin covers instances whose clocks disagree
 * by up to that much (`store.clock_skew_ms`).
 */
export const CLOCK_MARGIN_MS = 10_000;
/** How long an event is kept. */
export const RETENTION_MS = 60_000;

export interface RecentEventsOptions {
  now?: () => number;
  /** How far apart instances' clocks may be; at most a third of RETENTION_MS. */
  marginMs?: number;
}

export type CatchUp = { known: false } | { known: true; message?: string };

export class RecentEvents {
  /** By channel; insertion order is arrival order (an update moves its entry to the end). */
  readonly #log = new Map<string, { at: number; message: string }>();
  #listeningSince: number | undefined;
  #starting: Promise<Unsubscribe> | undefined;

  readonly #now: () => number;
  readonly #margin: number;
  /** The oldest page (by its `since`) answered: the log must reach back to since − margin, read by a clock up to a margin behind. */
  readonly #window: number;

  constructor(
    private readonly store: Store,
    private readonly prefix: string,
    options: RecentEventsOptions = {},
  ) {
    this.#now = options.now ?? Date.now;
    this.#margin = options.marginMs ?? CLOCK_MARGIN_MS;
    if (!(this.#margin >= 0 && this.#margin * 3 <= RETENTION_MS)) throw new RangeError(`marginMs must be between 0 and ${RETENTION_MS / 3}`);
    this.#window = RETENTION_MS - 2 * this.#margin;
  }

  /** Starts listening (once; a failure lets the next call try again). */
  start(): Promise<Unsubscribe> {
    this.#starting ??= this.store
      .subscribePrefix(this.prefix, (channel, message) => this.#record(channel, message))
      .then(
        (unsubscribe) => {
          this.#listeningSince = this.#now();
          return unsubscribe;
        },
        (error: unknown) => {
          this.#starting = undefined;
          throw error;
        },
      );
    return this.#starting;
  }

  /**
   * The latest event on `channel` received at or after `since` − margin, if the log can vouch
   * that it holds every event since then; `{ known: false }` when the caller must read the store.
   */
  since(channel: string, since: number): CatchUp {
    if (this.#listeningSince === undefined) {
      void this.start().catch(() => undefined);
      return { known: false };
    }
    const now = this.#now();
    const from = since - this.#margin;
    const delivering = this.store.deliveringSince();
    if (!Number.isFinite(since) || since > now + this.#margin || now - since > this.#window) return { known: false };
    if (delivering === undefined || delivering > from || this.#listeningSince > from) return { known: false };
    this.#prune(now);
    const entry = this.#log.get(channel);
    return entry && entry.at >= from ? { known: true, message: entry.message } : { known: true };
  }

  /** Entries held (for tests). */
  get size(): number {
    return this.#log.size;
  }

  #record(channel: string, message: string): void {
    const now = this.#now();
    this.#log.delete(channel);
    this.#log.set(channel, { at: now, message });
    this.#prune(now);
  }

  #prune(now: number): void {
    for (const [channel, entry] of this.#log) {
      if (entry.at >= now - RETENTION_MS) break;
      this.#log.delete(channel);
    }
  }
}
