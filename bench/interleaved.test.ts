import { describe, expect, it } from 'vitest';

import type { FlowTarget } from './flows.js';
import { type Contender, interleaved, roundRatios, summarize } from './interleaved.js';

describe('summarize', () => {
  it('takes the median window, so one slow stretch does not move the figure', () => {
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
  it('gives every contender its turn in each round and measures only the windows', async () => {
    const turns: string[] = [];
    const contender = (name: string): Contender => ({
      name,
      // A flow of about 10 ms, which records whose turn it is.
      flow: async () => {
        if (turns.at(-1) !== name) turns.push(name);
        await new Promise((resolve) => setTimeout(resolve, 10));
        return 1;
      },
      target: {} as FlowTarget,
      server: { child: { pid: process.pid } } as Contender['server'],
    });
    const [a, b] = await interleaved([contender('a'), contender('b')], { concurrency: 1, warmupSeconds: 0.05, rounds: 3, windowSeconds: 0.1, rewarmSeconds: 0 });
    // Warm-ups one after the other, then a, b in each of the three rounds.
    expect(turns).toEqual(['a', 'b', 'a', 'b', 'a', 'b', 'a', 'b']);
    for (const run of [a, b]) {
      expect(run?.windows).toHaveLength(3);
      // Flows of about 10 ms, one at a time: at most 100 a second (timers may run late, never early).
      for (const w of run?.windows ?? []) expect(w.flowsPerSecond).toBeGreaterThan(0);
      for (const w of run?.windows ?? []) expect(w.flowsPerSecond).toBeLessThanOrEqual(100);
      expect(run?.latencies).toHaveLength(run?.flows ?? -1);
      expect(run?.flowsPerSecond).toBe(summarize(run?.windows ?? []).flowsPerSecond);
    }
  });
});
