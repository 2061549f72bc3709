import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';

import { HEARTBEAT_MS, HEARTBEAT_SLOTS, type OpenStream, StreamRegistry } from './stream-registry.js';

const TICK_MS = HEARTBEAT_MS / HEARTBEAT_SLOTS;

/** A stream that counts its pings, and the tick (by fake time) of each. */
function fakeStream(log: { pingsAt: number[] }[]) {
  const entry = { pingsAt: [] as number[], closed: [] as string[] };
  log.push(entry);
  const stream: OpenStream = {
    ping: () => void entry.pingsAt.push(Date.now()),
    close: (reason) => void entry.closed.push(reason),
  };
  return { stream, entry };
}

describe('StreamRegistry', () => {
  beforeEach(() => vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval', 'Date'], now: 0 }));
  afterEach(() => vi.useRealTimers());

  it('pings every open stream exactly once per heartbeat period', async () => {
    const registry = new StreamRegistry();
    const log: { pingsAt: number[] }[] = [];
    for (let i = 0; i < 1_000; i += 1) registry.add(fakeStream(log).stream);
    await vi.advanceTimersByTimeAsync(HEARTBEAT_MS);
    expect(log.map((s) => s.pingsAt.length)).toEqual(log.map(() => 1));
    await vi.advanceTimersByTimeAsync(2 * HEARTBEAT_MS);
    expect(log.map((s) => s.pingsAt.length)).toEqual(log.map(() => 3));
    // Each stream's pings are one period apart.
    for (const s of log) expect([s.pingsAt[1]! - s.pingsAt[0]!, s.pingsAt[2]! - s.pingsAt[1]!]).toEqual([HEARTBEAT_MS, HEARTBEAT_MS]);
  });

  it('spreads the pings over the period: no tick pings more than its share of the streams', async () => {
    const registry = new StreamRegistry();
    const log: { pingsAt: number[] }[] = [];
    const streams = 10_000;
    for (let i = 0; i < streams; i += 1) registry.add(fakeStream(log).stream);
    await vi.advanceTimersByTimeAsync(HEARTBEAT_MS);
    const perTick = new Map<number, number>();
    for (const s of log) for (const at of s.pingsAt) perTick.set(at, (perTick.get(at) ?? 0) + 1);
    expect(perTick.size).toBe(HEARTBEAT_SLOTS);
    expect(Math.max(...perTick.values())).toBe(Math.ceil(streams / HEARTBEAT_SLOTS));
    expect(Math.min(...perTick.keys())).toBe(TICK_MS);
  });

  it('fills the emptiest slots first, so the ticks stay even when streams end unevenly', async () => {
    const registry = new StreamRegistry();
    const log: { pingsAt: number[] }[] = [];
    const removes = Array.from({ length: 10 * HEARTBEAT_SLOTS }, () => registry.add(fakeStream(log).stream));
    // Every stream in the first ten slots ends (streams joined the slots in turn as they opened).
    removes.forEach((remove, i) => i % HEARTBEAT_SLOTS < 10 && remove());
    for (let i = 0; i < 100; i += 1) registry.add(fakeStream(log).stream);
    const before = Date.now();
    await vi.advanceTimersByTimeAsync(HEARTBEAT_MS);
    const perTick = new Map<number, number>();
    for (const s of log) for (const at of s.pingsAt) if (at > before) perTick.set(at, (perTick.get(at) ?? 0) + 1);
    expect([...perTick.values()]).toEqual(Array.from({ length: HEARTBEAT_SLOTS }, () => 10));
  });

  it('stops pinging a stream once it is removed, and counts it once however often it is removed', async () => {
    const sizes: number[] = [];
    const registry = new StreamRegistry((size) => sizes.push(size));
    const log: { pingsAt: number[] }[] = [];
    const kept = fakeStream(log);
    const gone = fakeStream(log);
    registry.add(kept.stream);
    const remove = registry.add(gone.stream);
    remove();
    remove();
    expect(registry.size).toBe(1);
    expect(sizes).toEqual([1, 2, 1]);
    await vi.advanceTimersByTimeAsync(HEARTBEAT_MS);
    expect(kept.entry.pingsAt).toHaveLength(1);
    expect(gone.entry.pingsAt).toHaveLength(0);
  });

  it('keeps no timer while no stream is open', async () => {
    const registry = new StreamRegistry();
    expect(vi.getTimerCount()).toBe(0);
    const removes = [registry.add(fakeStream([]).stream), registry.add(fakeStream([]).stream)];
    expect(vi.getTimerCount()).toBe(1);
    for (const remove of removes) remove();
    expect(vi.getTimerCount()).toBe(0);
    const log: { pingsAt: number[] }[] = [];
    registry.add(fakeStream(log).stream);
    await vi.advanceTimersByTimeAsync(HEARTBEAT_MS);
    expect(log[0]!.pingsAt).toHaveLength(1);
  });

  it('closes every stream on shutdown, once, and stops the heartbeat', async () => {
    const sizes: number[] = [];
    const registry = new StreamRegistry((size) => sizes.push(size));
    const log: { pingsAt: number[] }[] = [];
    const made = Array.from({ length: 5 }, () => fakeStream(log));
    // A stream's close ends it, and its end removes it (as the event stream does).
    for (const { stream } of made) {
      const remove = registry.add({ ping: stream.ping, close: (reason) => (stream.close(reason), remove()) });
    }
    const before = sizes.length;
    registry.closeAll();
    expect(made.map((m) => m.entry.closed)).toEqual(made.map(() => ['shutdown']));
    expect(registry.size).toBe(0);
    expect(sizes.slice(before)).toEqual([0]);
    expect(vi.getTimerCount()).toBe(0);
    await vi.advanceTimersByTimeAsync(HEARTBEAT_MS);
    expect(log.every((s) => s.pingsAt.length === 0)).toBe(true);
    // A stream opened after shutdown began is told to reconnect at once, and never counted.
    const late = fakeStream(log);
    registry.add(late.stream);
    expect(late.entry.closed).toEqual(['shutdown']);
    expect(registry.size).toBe(0);
    expect(vi.getTimerCount()).toBe(0);
  });
});
