import { QridError } from '../errors/qrid-error.js';
import { addressBlock } from '../web/client-address.js';

/**
 * How many event streams and long-polls may be open at once, per interaction and per client
 * address (an IPv6 client by its /64), in this process. A waiting page needs one; a few more
 * cover a reload or a reconnect that overlaps the old connection. Counted per process because
 * what they bound is this process's sockets and memory; each instance behind a load balancer
 * applies the same limits.
 */
export interface StreamLimitSettings {
  perInteraction: number;
  perAddress: number;
}

export const tooManyStreams = () =>
  new QridError(429, 'too_many_streams', { headers: { 'Retry-After': '5' } });

export class StreamLimits {
  readonly #byInteraction = new Map<string, number>();
  readonly #byAddress = new Map<string, number>();

  constructor(private readonly limits: StreamLimitSettings) {}

  /** Takes a place for one open stream, or throws 429 when either limit is reached; returns its release (safe to call twice). */
  reserve(owner: { interaction: string; address: string }): () => void {
    const address = addressBlock(owner.address);
    if ((this.#byInteraction.get(owner.interaction) ?? 0) >= this.limits.perInteraction) throw tooManyStreams();
    if ((this.#byAddress.get(address) ?? 0) >= this.limits.perAddress) throw tooManyStreams();
    add(this.#byInteraction, owner.interaction, 1);
    add(this.#byAddress, address, 1);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      add(this.#byInteraction, owner.interaction, -1);
      add(this.#byAddress, address, -1);
    };
  }
}

function add(counts: Map<string, number>, key: string, delta: number): void {
  const next = (counts.get(key) ?? 0) + delta;
  if (next > 0) counts.set(key, next);
  else counts.delete(key);
}
