import { Cluster, type Redis } from 'ioredis';

import type { Connection } from './redis-connection.js';
import type { Unsubscribe } from './store.js';

type Listener = (message: string) => void;

export interface RedisPubSubOptions {
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
 * A subscriber connection that stops answering PINGs is dropped and made again, and after every
 * reconnect the pattern is subscribed again. Messages published in between are lost (Redis
 * pub/sub keeps nothing), which is why listeners read the state they follow themselves.
 */
export class RedisPubSub {
  /** Local listeners by full channel name; Redis knows only this instance's one pattern. */
  readonly #listeners = new Map<string, Set<Listener>>();
  #subscriber: Connection | undefined;
  #patternReady: Promise<unknown> | undefined;
  /** Whether Redis confirmed the pattern on the current connection (false from a drop until it is confirmed again). */
  #confirmed = false;
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

  listenedChannels(): number {
    return this.#listeners.size;
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#listeners.clear();
    this.#confirmed = false;
    clearInterval(this.#check);
    const subscriber = this.#subscriber;
    if (subscriber) await subscriber.quit().catch(() => subscriber.disconnect());
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
    subscriber.on('close', () => (this.#confirmed = false));
    // After a reconnect: subscribe again (retried by the PING timer if it fails).
    subscriber.on('ready', () => {
      if (this.#confirmedOnce && !this.#confirmed) void this.#confirm(subscriber).catch(() => undefined);
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
  }

  async #confirm(subscriber: Connection): Promise<void> {
    await subscriber.psubscribe(patternFor(this.prefix));
    this.#confirmedOnce = true;
    if (subscriber.status === 'ready' && !this.#closed) this.#confirmed = true;
  }

  /**
   * A PING through the subscriber connection; no answer in time means it is gone, whatever TCP
   * says. While the pattern is not confirmed, it retries the confirmation instead (one that timed
   * out after a reconnect would otherwise never be tried again).
   */
  async #ping(subscriber: Redis): Promise<void> {
    if (subscriber.status !== 'ready') return;
    if (!this.#confirmed) {
      if (this.#confirmedOnce) await this.#confirm(subscriber).catch(() => undefined);
      return;
    }
    try {
      await subscriber.ping();
    } catch {
      if (this.#closed) return;
      this.#confirmed = false;
      subscriber.disconnect(true); // ioredis reconnects; 'ready' subscribes again
    }
  }
}
