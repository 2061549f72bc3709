import { describe, expect, it } from 'vitest';

import type { FlowTarget } from './flows.js';
import { type Contender, interleaved, roundRatios, summarize } from './interleaved.js';

describe('summarize', () => {
  it('takes the median of the windows, so one slow stretch does not move the figure', () => {
    const windows = [
      { flowsPerSecond: 500, serverCpuMicrosPerFlow: 2_000 },
      { flowsPerSecond: 210, serverCpuMicrosPerFlow: 4_100 },
      { flowsPerSecond: 480, serverCpuMicrosPerFlow: 2_100 },
    ];
    expect(summarize(windows)).toEqual({ flowsPerSecond: 480, serverCpuMicrosPerFlow: 2_100 });
  });
});

describe('roundRatios', () => {
  it("divides b's rate by a's round by round", () => {
    const a = [{ flowsPerSecond: 800, serverCpuMicrosPerFlow: 1 }, { flowsPerSecond: 1_000, serverCpuMicrosPerFlow: 1 }];
    const b = [{ flowsPerSecond: 400, serverCpuMicrosPerFlow: 1 }, { flowsPerSecond: 600, serverCpuMicrosPerFlow: 1 }];
    expect(roundRatios(a, b)).toEqual([0.5, 0.6]);
  });
});

describe('interleaved', () => {
  it('gives every contender its turn in each round and counts only its windows', async () => {
    const turns: string[] = [];
    const calls = new Map<string, number>();
    const contender = (name: string): Contender => ({
      name,
      // A flow of about 10 ms that records whose turn it is and returns its own call number,
      // which the runs keep as the flow's latency.
      flow: async () => {
        if (turns.at(-1) !== name) turns.push(name);
        const call = (calls.get(name) ?? 0) + 1;
        calls.set(name, call);
        await new Promise((resolve) => setTimeout(resolve, 10));
        return call;
      },
      target: {} as FlowTarget,
      server: { child: { pid: process.pid } } as Contender['server'],
    });
    const runs = await interleaved([contender('a'), contender('b')], { concurrency: 1, warmupSeconds: 0.05, rounds: 3, windowSeconds: 0.1, rewarmSeconds: 0 });
    // Warm-ups one after the other, then a, b in each of the three rounds.
    expect(turns).toEqual(['a', 'b', 'a', 'b', 'a', 'b', 'a', 'b']);
    for (const [i, name] of ['a', 'b'].entries()) {
      const run = runs[i];
      const made = calls.get(name) ?? 0;
      expect(run?.windows).toHaveLength(3);
      // The warm-up's flows (the first calls) are not counted: what is counted is every call after them.
      const warmup = made - (run?.flows ?? 0);
      expect(warmup).toBeGreaterThan(0);
      expect([...(run?.latencies ?? [])].sort((x, y) => x - y)).toEqual(Array.from({ length: made - warmup }, (_, k) => warmup + 1 + k));
      // Flows of about 10 ms, one at a time: about 100 a second at most (a timer may fire up to 1 ms early).
      for (const w of run?.windows ?? []) expect(w.flowsPerSecond).toBeGreaterThan(0);
      for (const w of run?.windows ?? []) expect(w.flowsPerSecond).toBeLessThanOrEqual(110);
      // The figure is the middle window of three, by rate.
      const rates = (run?.windows ?? []).map((w) => w.flowsPerSecond).sort((x, y) => x - y);
      expect(run?.flowsPerSecond).toBe(rates[1]);
    }
  });
});
