import { tooManyRequests } from '../errors/qrid-error.js';
import { addressBlock } from '../web/client-address.js';
import type { Store } from '../store/store.js';

/**
 * Who a limit counts. A client address counts by its block (an IPv6 client by its /64, see
 * client-address.ts), so every per-address limit is keyed the same way; devices and accounts
 * by id, so a budget follows them from address to address; `everyone` is one global count.
 */
export type Subject = { address: string } | { device: string } | { account: string } | { client: string } | 'everyone';

export function subjectKey(subject: Subject): string {
  if (subject === 'everyone') return 'all';
  if ('address' in subject) return `ip:${addressBlock(subject.address)}`;
  if ('device' in subject) return `device:${subject.device}`;
  if ('client' in subject) return `client:${subject.client}`;
  return `account:${subject.account}`;
}

const counterKey = (bucket: string, subject: Subject) => `rate:${bucket}:${subjectKey(subject)}`;

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

  async hit(bucket: string, subject: Subject, limit: number): Promise<void> {
    const key = counterKey(bucket, subject);
    if ((await this.store.increment(key, this.windowSeconds)) > limit) await this.#refuse(bucket, key, true);
  }

  /**
   * Failure budgets: `assertBudget` refuses (429) once `limit` failures were recorded for the
   * subject in the window; `recordFailure` adds one. Successes cost nothing.
   */
  async assertBudget(bucket: string, subject: Subject, limit: number): Promise<void> {
    const key = counterKey(bucket, subject);
    if ((await this.store.counter(key)) >= limit) await this.#refuse(bucket, key, false);
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

  async recordFailure(bucket: string, subject: Subject): Promise<void> {
    await this.store.increment(counterKey(bucket, subject), this.windowSeconds);
  }
}
