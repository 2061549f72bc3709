/**
 * Open event streams of this process. One shared timer keeps them all alive (a timer per
 * stream costs memory and wake-ups at 10,000 streams), and shutdown tells every waiting page
 * to reconnect (to another instance) instead of cutting it off silently.
 */
export interface OpenStream {
  /** Write a comment line so proxies keep the connection open. */
  ping(): void;
  /** Ask the page to reconnect, then end the stream. */
  close(reason: 'shutdown'): void;
}

const HEARTBEAT_MS = 20_000;

export class StreamRegistry {
  readonly #open = new Set<OpenStream>();
  #heartbeat: NodeJS.Timeout | undefined;

  constructor(private readonly onChange: (size: number) => void = () => {}) {}

  add(stream: OpenStream): () => void {
    this.#open.add(stream);
    this.onChange(this.#open.size);
    if (!this.#heartbeat) {
      this.#heartbeat = setInterval(() => {
        for (const open of this.#open) open.ping();
      }, HEARTBEAT_MS);
      this.#heartbeat.unref();
    }
    return () => {
      this.#open.delete(stream);
      this.onChange(this.#open.size);
      if (this.#open.size === 0) this.#stopHeartbeat();
    };
  }

  get size(): number {
    return this.#open.size;
  }

  closeAll(): void {
    for (const stream of [...this.#open]) stream.close('shutdown');
    this.#open.clear();
    this.#stopHeartbeat();
    this.onChange(0);
  }

  #stopHeartbeat(): void {
    clearInterval(this.#heartbeat);
    this.#heartbeat = undefined;
  }
}
