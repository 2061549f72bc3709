import { Cluster, type Redis } from 'ioredis';

import type { Deadlines } from './deadlines.js';
import type { Connection } from './redis-connection.js';
import type { Unsubscribe } from './store.js';

type Listener = (message: string) => void;
type PrefixListener = (channel: string, message: string) => void;

export interface RedisPubSubOptions {
  /** The store's: every call answers within the command timeout. */
  deadlines: Deadlines;
  /** How often the subscriber connection is PINGed (see RedisStoreOptions.pubsubCheckMs). */
  checkMs: number;
  onError: (error: unknown) => void;
}

/** Pub/sub channels are matched by one pattern, so glob characters in the prefix are escaped. */
function patternFor(prefix: string): string {
  return `${prefix.replace(/[*?[\]\\]/g, '\\$&')}*`;
}

/**
 * The Redis store's subscriptions. One connection and one pattern subscription (`<prefix>*`)
 * carry every subscription of this instance: a waiting page costs a map entry here, not a
 * SUBSCRIBE and UNSUBSCRIBE in Redis. Every instance sees every event of its prefix and routes
 * it in process.
 *
 * It also keeps track of whether it can vouch for having received every message (see
 * Store.deliveringSince): from Redis's confirmation of the pattern on a connection until that
 * connection closes or stops answering PINGs.
 */
export class RedisPubSub {
  /** Local listeners by full channel name; Redis knows only this instance's one pattern. */
  readonly #listeners = new Map<string, Set<Listener>>();
  readonly #prefixListeners = new Set<{ prefix: string; listener: PrefixListener }>();
  #subscriber: Connection | undefined;
  #patternReady: Promise<unknown> | undefined;
  /** When Redis last confirmed the pattern subscription on a connection that has not dropped since. */
  #deliveringSince: number | undefined;
  #confirmedOnce = false;
  #check: NodeJS.Timeout | undefined;
  #closed = false;

  constructor(
    private readonly redis: Connection,
    private readonly prefix: string,
    private readonly options: RedisPubSubOptions,
  ) {}

  async subscribe(channel: string, listener: Listener): Promise<Unsubscribe> {
    const name = this.prefix + channel;
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

  async subscribePrefix(prefix: string, listener: PrefixListener): Promise<Unsubscribe> {
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

  listenedChannels(): number {
    return this.#listeners.size;
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#listeners.clear();
    this.#prefixListeners.clear();
    this.#deliveringSince = undefined;
    clearInterval(this.#check);
    const subscriber = this.#subscriber;
    if (subscriber) await this.options.deadlines.run(subscriber.quit()).catch(() => subscriber.disconnect());
  }

  #subscribed(): Promise<unknown> {
    if (this.#closed) return Promise.reject(new Error('store is closed'));
    this.#subscriber ??= this.#connect();
    if (!this.#patternReady) {
      const ready = this.#confirm(this.#subscriber);
      // A failed PSUBSCRIBE is retried by the next subscriber (ioredis resubscribes by itself
      // after a reconnect once it has succeeded).
      ready.catch(() => this.#patternReady === ready && (this.#patternReady = undefined));
      this.#patternReady = ready;
    }
    return this.#patternReady;
  }

  #connect(): Connection {
    // No ready check: ioredis sends INFO once connected, and if the queued PSUBSCRIBE already
    // put the connection in subscriber mode, that INFO fails and takes the subscription with it.
    // No automatic resubscription either: ioredis leaves its PSUBSCRIBE's failure unhandled (a
    // timeout would take the process down), and 'ready' below resubscribes anyway.
    const options = { enableReadyCheck: false, autoResubscribe: false };
    const subscriber = this.redis instanceof Cluster ? this.redis.duplicate(undefined, options) : this.redis.duplicate(options);
    subscriber.on('error', (error: unknown) => this.options.onError(error));
    subscriber.on('pmessage', (_pattern: string, channel: string, message: string) => this.#deliver(channel, message));
    // Messages published while the connection is down are lost for good: from the drop until
    // Redis confirms the pattern again, this store cannot vouch for having seen everything.
    subscriber.on('close', () => (this.#deliveringSince = undefined));
    // After a reconnect: subscribe again, and vouch once Redis confirms (retried by the PING
    // timer if it fails).
    subscriber.on('ready', () => {
      if (this.#confirmedOnce && this.#deliveringSince === undefined) void this.#confirm(subscriber).catch(() => undefined);
    });
    if (!(subscriber instanceof Cluster)) {
      this.#check = setInterval(() => void this.#ping(subscriber), this.options.checkMs);
      this.#check.unref();
    }
    return subscriber;
  }

  #deliver(channel: string, message: string): void {
    // One failing listener must not starve the others, nor break the connection's reader.
    for (const listener of this.#listeners.get(channel) ?? []) {
      try {
        listener(message);
      } catch (error) {
        this.options.onError(error);
      }
    }
    if (this.#prefixListeners.size === 0) return;
    const own = channel.slice(this.prefix.length);
    for (const { prefix, listener } of this.#prefixListeners) {
      if (!own.startsWith(prefix)) continue;
      try {
        listener(own, message);
      } catch (error) {
        this.options.onError(error);
      }
    }
  }

  async #confirm(subscriber: Connection): Promise<void> {
    await this.options.deadlines.run(subscriber.psubscribe(patternFor(this.prefix)));
    this.#confirmedOnce = true;
    // Cluster routes pub/sub through connections of its own whose drops it does not report
    // here, so a Cluster store never vouches for gap-free delivery.
    if (subscriber.status === 'ready' && !(subscriber instanceof Cluster) && !this.#closed) this.#deliveringSince ??= Date.now();
  }

  /**
   * A PING through the subscriber connection; no answer in time means it is gone, whatever TCP
   * says. While nothing is vouched for, it retries the confirmation instead (one that timed out
   * after a reconnect would otherwise never be tried again).
   */
  async #ping(subscriber: Redis): Promise<void> {
    if (subscriber.status !== 'ready') return;
    if (this.#deliveringSince === undefined) {
      if (this.#confirmedOnce) await this.#confirm(subscriber).catch(() => undefined);
      return;
    }
    try {
      await this.options.deadlines.run(subscriber.ping());
    } catch {
      if (this.#closed) return;
      this.#deliveringSince = undefined;
      subscriber.disconnect(true); // ioredis reconnects and resubscribes; 'ready' confirms again
    }
  }
}
