import { drive, type FlowTarget, median } from './flows.js';
import { cpuMicros, type Server } from './processes.js';

/**
 * Throughput measured in interleaved windows: every server takes its turn in each round, and
 * its figure is the median of its windows. On these shared VMs a server's rate moves by a
 * third from one stretch of seconds to the next (steal the guest cannot see, the neighbours):
 * measured one after the other in a single stretch each, a slow stretch fell on one server
 * alone and moved the ratio with it (two runs of the same code read 0.39 and 0.56 in round 16).
 * Taking turns spreads such stretches over all of them, and the median drops the window one hit.
 */
export interface Contender {
  name: string;
  flow: (target: FlowTarget) => Promise<number>;
  target: FlowTarget;
  server: Pick<Server, 'child'>;
}

export interface Window {
  flowsPerSecond: number;
  serverCpuMicrosPerFlow: number;
}

export interface Throughput extends Window {
  /** Each window's own figures, in the order they ran. */
  windows: Window[];
  flows: number;
  errors: number;
  firstError?: string;
  /** Every flow's approval → event time (ms), for a QR flow; the baseline's are not read. */
  latencies: number[];
}

export interface Schedule {
  concurrency: number;
  /** Unmeasured load before the first round, for each server: JIT, caches, connections. */
  warmupSeconds: number;
  rounds: number;
  windowSeconds: number;
  /** Unmeasured load before each window: the connections its turn reopens. */
  rewarmSeconds: number;
}

/** The median of the windows' rates and, separately, of their CPU per flow: a slow stretch that fell on one window does not move either. */
export function summarize(windows: readonly Window[]): Window {
  return {
    flowsPerSecond: Math.round(median(windows.map((w) => w.flowsPerSecond)) * 10) / 10,
    serverCpuMicrosPerFlow: Math.round(median(windows.map((w) => w.serverCpuMicrosPerFlow))),
  };
}

/** b ÷ a by rate in each round (the two windows ran seconds apart): the spread beside the ratio of medians. */
export function roundRatios(a: readonly Window[], b: readonly Window[]): number[] {
  return a.map((w, i) => (b[i]?.flowsPerSecond ?? Number.NaN) / w.flowsPerSecond);
}

export async function interleaved(contenders: readonly Contender[], schedule: Schedule, log: (line: string) => void = () => undefined): Promise<Throughput[]> {
  for (const c of contenders) await drive(c.flow, c.target, schedule.concurrency, schedule.warmupSeconds);
  const runs = contenders.map(() => ({ windows: [] as Window[], flows: 0, errors: 0, firstError: undefined as string | undefined, latencies: [] as number[] }));
  for (let round = 0; round < schedule.rounds; round += 1) {
    for (const [i, c] of contenders.entries()) {
      const run = runs[i] as (typeof runs)[number];
      if (schedule.rewarmSeconds > 0) await drive(c.flow, c.target, schedule.concurrency, schedule.rewarmSeconds);
      const cpuBefore = cpuMicros(c.server);
      const window = await drive(c.flow, c.target, schedule.concurrency, schedule.windowSeconds);
      const flows = Math.max(1, window.flows);
      run.windows.push({
        flowsPerSecond: Math.round((window.flows / window.seconds) * 10) / 10,
        serverCpuMicrosPerFlow: Math.round((cpuMicros(c.server) - cpuBefore) / flows),
      });
      run.flows += window.flows;
      run.errors += window.errors;
      run.firstError ??= window.firstError;
      run.latencies.push(...window.latencies);
      log(`${c.name}, round ${round + 1}: ${run.windows.at(-1)?.flowsPerSecond} flows/s`);
    }
  }
  return runs.map((run) => ({ ...summarize(run.windows), ...run }));
}
