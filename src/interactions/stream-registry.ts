/**
 * Open event streams of this process, so that shutdown can tell every waiting page to
 * reconnect (to another instance) instead of cutting it off silently.
 */
export interface OpenStream {
  /** Ask the page to reconnect, then end the stream. */
  close(reason: 'shutdown'): void;
}

export class StreamRegistry {
  readonly #open = new Set<OpenStream>();

  constructor(private readonly onChange: (size: number) => void = () => {}) {}

  add(stream: OpenStream): () => void {
    this.#open.add(stream);
    this.onChange(this.#open.size);
    return () => {
      this.#open.delete(stream);
      this.onChange(this.#open.size);
    };
  }

  get size(): number {
    return this.#open.size;
  }

  closeAll(): void {
    for (const stream of [...this.#open]) stream.close('shutdown');
    this.#open.clear();
    this.onChange(0);
  }
}
