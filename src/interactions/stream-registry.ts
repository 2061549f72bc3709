/**
 * Open event streams of this process. One shared timer keeps them all alive (a timer per
 * stream costs memory and wake-ups at 10,000 streams), and shutdown tells every waiting page
 * to reconnect (to another instance) instead of cutting it off silently.
 *
 * The keep-alive pings are spread over the heartbeat period: each stream belongs to one of
 * HEARTBEAT_SLOTS slots, and each tick pings one slot. Pinging every stream in one tick blocked
 * the event loop for one socket write per stream (about 190 ms at 10,000 streams, every 20 s),
 * and every request and approval arriving then waited for it.
 */
export interface OpenStream {
  /** Write a comment line so proxies keep the connection open. */
  ping(): void;
  /** Ask the page to reconnect, then end the stream. */
  close(reason: 'shutdown'): void;
}

/** How often each open stream gets a keep-alive ping. */
export const HEARTBEAT_MS = 20_000;
/** Slots the pings are spread over: a tick every HEARTBEAT_MS / HEARTBEAT_SLOTS (250 ms). */
export const HEARTBEAT_SLOTS = 80;

export class StreamRegistry {
  readonly #slots: Set<OpenStream>[] = Array.from({ length: HEARTBEAT_SLOTS }, () => new Set());
  #size = 0;
  /** The slot the next tick pings. */
  #tick = 0;
  #heartbeat: NodeJS.Timeout | undefined;
  #closed = false;

  constructor(private readonly onChange: (size: number) => void = () => {}) {}

  add(stream: OpenStream): () => void {
    if (this.#closed) {
      // Opened while the process shuts down (on a connection that was still open): told at once.
      stream.close('shutdown');
      return () => {};
    }
    const slot = this.#emptiestSlot();
    slot.add(stream);
    this.#size += 1;
    this.onChange(this.#size);
    if (!this.#heartbeat) {
      this.#heartbeat = setInterval(() => this.#ping(), HEARTBEAT_MS / HEARTBEAT_SLOTS);
      this.#heartbeat.unref();
    }
    return () => {
      if (!slot.delete(stream)) return;
      this.#size -= 1;
      this.onChange(this.#size);
      if (this.#size === 0) this.#stopHeartbeat();
    };
  }

  get size(): number {
    return this.#size;
  }

  /** Ends every open stream and, from now on, every new one at once (shutdown). */
  closeAll(): void {
    this.#closed = true;
    const open = this.#slots.flatMap((slot) => [...slot]);
    for (const slot of this.#slots) slot.clear();
    this.#size = 0;
    this.#stopHeartbeat();
    for (const stream of open) stream.close('shutdown');
    this.onChange(0);
  }

  /**
   * A new stream joins the slot with the fewest, so the slots stay even however unevenly
   * streams end (a scan of 80 sizes, once per stream).
   */
  #emptiestSlot(): Set<OpenStream> {
    let emptiest = this.#slots[0] as Set<OpenStream>;
    for (const slot of this.#slots) if (slot.size < emptiest.size) emptiest = slot;
    return emptiest;
  }

  #ping(): void {
    const slot = this.#slots[this.#tick] as Set<OpenStream>;
    this.#tick = (this.#tick + 1) % HEARTBEAT_SLOTS;
    for (const stream of slot) stream.ping();
  }

  #stopHeartbeat(): void {
    clearInterval(this.#heartbeat);
    this.#heartbeat = undefined;
  }
}
