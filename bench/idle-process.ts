import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';

import { onCpus } from './cores.js';

/** prom-client's default, which qrid's `qrid_nodejs_eventloop_lag_max_seconds` is read with. */
export const TICK_MS = 10;

/**
 * Runs in the idle process: the same histogram qrid's metrics keep (a `TICK_MS` timer), read
 * and reset on every line received, as a scrape of qrid's metrics reads and resets qrid's.
 */
const CHILD = `
const histogram = require('node:perf_hooks').monitorEventLoopDelay({ resolution: ${TICK_MS} });
histogram.enable();
process.stdin.setEncoding('utf8').on('data', () => {
  process.stdout.write(histogram.max / 1e6 + '\\n');
  histogram.reset();
});
`;

export interface IdleProcess {
  /** The longest gap between two of its ticks since the last call (or since it started), in ms. */
  longestTick(): Promise<number>;
  stop(): void;
}

/**
 * A node process with nothing to do but its timer, on the CPUs given: its longest tick is
 * what this machine did to any process in those seconds (the kernel's scheduling, a VM's host
 * taking the CPU away), beside qrid's own figure read the same way. An idle node on an idle
 * 2-core VM saw gaps of 11–20 ms between its 1 ms ticks (docs/benchmarks.md, round 19).
 */
export function startIdleProcess(cpus?: string): IdleProcess {
  const command = [...onCpus(cpus), process.execPath, '-e', CHILD];
  const child = spawn(command[0] as string, command.slice(1), { stdio: ['pipe', 'pipe', 'inherit'] });
  const lines = createInterface({ input: child.stdout });
  const waiting: { resolve: (ms: number) => void; reject: (error: Error) => void }[] = [];
  let stopped = false;
  const gone = () => new Error(stopped ? 'the idle process was stopped' : `the idle process exited (${child.exitCode ?? child.signalCode})`);
  const refuseAll = () => {
    for (const reader of waiting.splice(0)) reader.reject(gone());
  };
  lines.on('line', (line) => waiting.shift()?.resolve(Number(line)));
  // A reading asked for when it ends is refused rather than left waiting for ever.
  child.on('exit', refuseAll);
  child.stdin.on('error', () => undefined); // a write to a process that has just died: 'exit' refuses the reading
  return {
    longestTick: () =>
      new Promise((resolve, reject) => {
        if (stopped || child.exitCode !== null || child.signalCode !== null) return reject(gone());
        waiting.push({ resolve, reject });
        child.stdin.write('?\n');
      }),
    stop: () => {
      if (stopped) return;
      stopped = true;
      refuseAll();
      child.stdin.end();
      child.kill('SIGTERM');
    },
  };
}
