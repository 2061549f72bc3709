import { ReplyError } from 'ioredis';

import { StoreUnavailableError } from './store.js';

interface Pending {
  readonly due: number;
  readonly fail: (error: Error) => void;
}

/**
 * The one rule every call to Redis follows: it answers within `timeoutMs` or fails as
 * "unavailable" (StoreUnavailableError, which routes answer with 503 rather than 500). A reply
 * error (WRONGTYPE, a script error) is the caller's problem and passes through as it is.
 *
 * One timer serves every call in flight, checking every `tickMs`: a call fails between
 * `timeoutMs` and `timeoutMs + tickMs` after it was made. A timer per call (ioredis's
 * `commandTimeout`, or setTimeout raced against each call) cost two timers, a promise race and
 * their closures on each of a login's 25 commands. All calls share one timeout, so they fall
 * due in the order they were made and a check stops at the first that is not due.
 *
 * The deadline also covers what ioredis's own timeout does not: a Cluster's queue, where
 * calls wait until the cluster is ready, and the offline queue while a connection reopens.
 */
export class Deadlines {
  readonly #pending = new Set<Pending>();
  readonly #tickMs: number;
  #timer: NodeJS.Timeout | undefined;

  constructor(
    readonly timeoutMs: number,
    tickMs = Math.min(250, Math.max(10, Math.floor(timeoutMs / 8))),
  ) {
    this.#tickMs = tickMs;
  }

  run<T>(call: Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const pending: Pending = { due: performance.now() + this.timeoutMs, fail: reject };
      this.#pending.add(pending);
      this.#timer ??= setInterval(() => this.#check(), this.#tickMs).unref();
      call.then(
        (value) => {
          this.#pending.delete(pending);
          resolve(value);
        },
        (error: unknown) => {
          this.#pending.delete(pending);
          reject(error instanceof ReplyError ? error : unavailable(error instanceof Error ? error.message : String(error), error));
        },
      );
    });
  }

  /** Calls in flight (for tests). */
  get size(): number {
    return this.#pending.size;
  }

  #check(): void {
    const now = performance.now();
    for (const pending of this.#pending) {
      if (pending.due > now) break;
      this.#pending.delete(pending);
      pending.fail(unavailable(`Redis did not answer within ${this.timeoutMs} ms`));
    }
    if (this.#pending.size === 0) {
      clearInterval(this.#timer);
      this.#timer = undefined;
    }
  }
}

function unavailable(reason: string, cause?: unknown): StoreUnavailableError {
  return new StoreUnavailableError(`Redis is unavailable: ${reason}`, cause === undefined ? undefined : { cause });
}
