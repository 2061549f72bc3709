import { tooManyRequests } from '../errors/qrid-error.js';
import type { Store } from '../store/store.js';

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
    const { count, ttlSeconds } = await this.store.increment(`rate:${bucket}:${subject}`, this.windowSeconds);
    if (count > limit) {
      this.onLimited(bucket);
      throw tooManyRequests(ttlSeconds);
    }
  }

  /**
   * Failure budgets: `assertBudget` refuses (429) once `limit` failures were recorded for the
   * subject in the window; `recordFailure` adds one. Successes cost nothing.
   */
  async assertBudget(bucket: string, subject: string, limit: number): Promise<void> {
    const { count, ttlSeconds } = await this.store.counter(`rate:${bucket}:${subject}`);
    if (count >= limit) {
      this.onLimited(bucket);
      throw tooManyRequests(ttlSeconds);
    }
  }

  async recordFailure(bucket: string, subject: string): Promise<void> {
    await this.store.increment(`rate:${bucket}:${subject}`, this.windowSeconds);
  }
}
