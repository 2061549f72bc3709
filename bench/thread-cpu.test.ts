import { describe, expect, it } from 'vitest';

import { perFlow, threadCpu, threadKind } from './thread-cpu.js';

describe('threadCpu', () => {
  it("reads this process's main thread and sees it spend CPU", () => {
    const before = threadCpu(process.pid);
    // Spin until the process has used 40 ms of CPU (getrusage, µs resolution), not for a span of
    // wall time: on a loaded machine the thread may be off a CPU for most of any fixed span.
    const start = process.cpuUsage();
    const giveUpAt = performance.now() + 10_000;
    let used = 0;
    while (used < 40_000 && performance.now() < giveUpAt) {
      const { user, system } = process.cpuUsage(start);
      used = user + system;
    }
    const after = threadCpu(process.pid);
    expect(used).toBeGreaterThanOrEqual(40_000);
    // The spin ran on this thread, so most of the process's 40 ms must show on the main thread.
    expect((after.byKind.get('main thread') ?? 0) - (before.byKind.get('main thread') ?? 0)).toBeGreaterThan(25_000);
    expect(after.userMicros + after.systemMicros).toBeGreaterThan(0);
  });
});

describe('threadKind', () => {
  it("sorts Node 24's and Node 26's thread names alike, and anything else as other", () => {
    const names = ['MainThread', 'node-MainThread', 'V8Worker', 'node-V8Worker', 'libuv-worker', 'DelayedTaskSche', 'SignalInspector', 'node-Other'];
    expect(names.map(threadKind)).toEqual(['main thread', 'main thread', 'V8 workers', 'V8 workers', 'libuv workers', 'other', 'other', 'other']);
  });
});

describe('perFlow', () => {
  it('divides what happened between two readings by the flows, kind by kind', () => {
    const before = { byKind: new Map([['main thread', 1_000], ['V8 workers', 100]]), userMicros: 10_000, systemMicros: 0 };
    const after = { byKind: new Map([['main thread', 5_000], ['V8 workers', 500], ['libuv workers', 40]]), userMicros: 30_000, systemMicros: 10_000 };
    const each = perFlow(before, after, 4);
    expect(Object.fromEntries(each.byKind)).toEqual({ 'main thread': 1_000, 'V8 workers': 100, 'libuv workers': 10 });
    expect(each.userMicros).toBe(5_000);
    expect(each.systemMicros).toBe(2_500);
  });
});
