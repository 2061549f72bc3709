import { ReplyError } from 'ioredis';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';

import { Deadlines } from './deadlines.js';
import { StoreUnavailableError } from './store.js';

/** A call that settles only when told to. */
function call<T>() {
  let resolve!: (value: T) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

/** Settles `promise` into a plain value, so a test can look at it without awaiting a hang. */
function watch<T>(promise: Promise<T>) {
  const seen: { value?: T; error?: unknown; settled: boolean } = { settled: false };
  promise.then(
    (value) => Object.assign(seen, { value, settled: true }),
    (error: unknown) => Object.assign(seen, { error, settled: true }),
  );
  return seen;
}

describe('Deadlines', () => {
  beforeEach(() => vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval', 'performance'] }));
  afterEach(() => vi.useRealTimers());

  it("passes on the call's value, and forgets the call", async () => {
    const deadlines = new Deadlines(1_000, 100);
    const pending = call<string>();
    const result = deadlines.run(pending.promise);
    expect(deadlines.size).toBe(1);
    pending.resolve('OK');
    await expect(result).resolves.toBe('OK');
    expect(deadlines.size).toBe(0);
  });

  it('fails a call that has not answered within the timeout, not before', async () => {
    const deadlines = new Deadlines(1_000, 100);
    const seen = watch(deadlines.run(call<string>().promise));
    await vi.advanceTimersByTimeAsync(900);
    expect(seen.settled).toBe(false);
    await vi.advanceTimersByTimeAsync(200); // the first check at or after 1,000 ms
    expect(seen.error).toBeInstanceOf(StoreUnavailableError);
    expect((seen.error as Error).message).toBe('Redis is unavailable: Redis did not answer within 1000 ms');
    expect(deadlines.size).toBe(0);
  });

  it('fails each call by its own start: a later call is not failed with an earlier one', async () => {
    const deadlines = new Deadlines(1_000, 100);
    const first = watch(deadlines.run(call().promise));
    await vi.advanceTimersByTimeAsync(500);
    const second = watch(deadlines.run(call().promise));
    await vi.advanceTimersByTimeAsync(600);
    expect(first.error).toBeInstanceOf(StoreUnavailableError);
    expect(second.settled).toBe(false);
    await vi.advanceTimersByTimeAsync(500);
    expect(second.error).toBeInstanceOf(StoreUnavailableError);
  });

  it('ignores an answer that comes after the deadline', async () => {
    const deadlines = new Deadlines(200, 50);
    const late = call<string>();
    const seen = watch(deadlines.run(late.promise));
    await vi.advanceTimersByTimeAsync(300);
    late.resolve('too late');
    await vi.advanceTimersByTimeAsync(0);
    expect(seen.error).toBeInstanceOf(StoreUnavailableError);
    expect(seen.value).toBeUndefined();
  });

  it('passes reply errors through, and turns anything else into "unavailable" with its cause', async () => {
    const deadlines = new Deadlines(1_000);
    const reply = new ReplyError('WRONGTYPE Operation against a key holding the wrong kind of value');
    await expect(deadlines.run(Promise.reject(reply))).rejects.toBe(reply);
    const lost = new Error('Connection is closed.');
    const error = await deadlines.run(Promise.reject(lost)).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StoreUnavailableError);
    expect((error as Error).message).toBe('Redis is unavailable: Connection is closed.');
    expect((error as Error).cause).toBe(lost);
  });

  it('stops its timer when nothing is in flight, and starts it again for the next call', async () => {
    const deadlines = new Deadlines(200, 50);
    const quick = call<number>();
    const done = deadlines.run(quick.promise);
    quick.resolve(1);
    await done;
    await vi.advanceTimersByTimeAsync(100); // the check that finds nothing pending stops the timer
    expect(vi.getTimerCount()).toBe(0);
    const seen = watch(deadlines.run(call().promise));
    expect(vi.getTimerCount()).toBe(1);
    await vi.advanceTimersByTimeAsync(300);
    expect(seen.error).toBeInstanceOf(StoreUnavailableError);
    expect(vi.getTimerCount()).toBe(0);
  });
});
