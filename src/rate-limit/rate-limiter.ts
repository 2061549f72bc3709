import { tooManyRequests } from '../errors/qrid-error.js';
import type { Fields, Store } from '../store/store.js';

const counterKey = (bucket: string, subject: string) => `rate:${bucket}:${subject}`;

/**
 * Fixed-window counters in the store, so every instance counts together. `hit` counts one
 * attempt and throws a 429 (with Retry-After) once the limit is passed.
 */
export class RateLimiter {
  constructor(
    private readonly store: Store,
    private readonly windowSeconds: number,
    private readonly onLimited: (bucket: string) => void = () => {},
  ) {}

  async hit(bucket: string, subject: string, limit: number): Promise<void> {
    const key = counterKey(bucket, subject);
    if ((await this.store.increment(key, this.windowSeconds)) > limit) await this.#refuse(bucket, key, true);
  }

  /**
   * Failure budgets: `assertBudget` refuses (429) once `limit` failures were recorded for the
   * subject in the window; `recordFailure` adds one. Successes cost nothing.
   */
  async assertBudget(bucket: string, subject: string, limit: number): Promise<void> {
    const key = counterKey(bucket, subject);
    if ((await this.store.counter(key)) >= limit) await this.#refuse(bucket, key, false);
  }

  /**
   * `assertBudget` that also reads `recordKeys` in the same round trip (the records the guarded
   * route reads first) and returns them. A refusal is decided before the records are looked at.
   */
  async assertBudgetReading(bucket: string, subject: string, limit: number, recordKeys: readonly string[]): Promise<(Fields | undefined)[]> {
    const key = counterKey(bucket, subject);
    const { records, count } = await this.store.getRecordsAndCounter(recordKeys, key);
    if (count >= limit) await this.#refuse(bucket, key, false);
    return records;
  }

  /** Only a refusal reads the window's remaining time (for Retry-After): allowed hits cost one command. */
  async #refuse(bucket: string, key: string, countThisOne: boolean): Promise<void> {
    const left = await this.store.ttl(key);
    // A counter without expiry was left by a crash between its first INCR and PEXPIRE: it
    // would refuse forever, so it is dropped and this attempt counts as a window's first.
    if (left === Number.POSITIVE_INFINITY) {
      await this.store.deleteKeys([key]);
      if (countThisOne) await this.store.increment(key, this.windowSeconds);
      return;
    }
    this.onLimited(bucket);
    throw tooManyRequests(left === undefined ? this.windowSeconds : Math.max(1, left));
  }

  async recordFailure(bucket: string, subject: string): Promise<void> {
    await this.store.increment(counterKey(bucket, subject), this.windowSeconds);
  }
}
