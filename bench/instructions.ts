import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';

import { baselineFlow, cutAfter, type FlowTarget, median, qrFlow, stepNames } from './flows.js';
import { Inspector } from './inspector.js';
import { freePort } from './loopback.js';
import { flowTarget, type Server, serverScript, startNode, writeConfig } from './processes.js';

/**
 * `node dist/bench/instructions.js [--flows 200] [--warmup 300] [--repeats 3] [--steps]`:
 * user-space instructions the server executes per flow, counted by `valgrind --tool=callgrind`,
 * for the baseline's instant sign-in and qrid's QR login (memory store), flows one at a time.
 * Flows per second on a shared VM move by ±30 % from run to run; an instruction count does not
 * depend on what else the machine does, so this is how a change to qrid's per-flow work is
 * judged. It does not see kernel time (system calls, socket writes), nor wake-ups saved by
 * batching.
 *
 * What it does depend on is where V8's full collections fall: on the memory store the heap
 * grows with every flow, and one mark-compact inside a window of 60 flows added up to 4 M
 * instructions per flow (round 13, docs/benchmarks.md). So each window starts right after full
 * GCs forced through the inspector and an idle pause longer than the servers' keep-alive
 * timeout (no connection can close under a request), each figure is measured `--repeats`
 * times, and the median is reported beside the spread.
 */
const { values } = parseArgs({
  options: {
    flows: { type: 'string', default: '200' },
    warmup: { type: 'string', default: '300' },
    repeats: { type: 'string', default: '3' },
    only: { type: 'string' },
    steps: { type: 'boolean', default: false },
  },
});
const FLOWS = Number(values.flows);
const WARMUP = Number(values.warmup);
const REPEATS = Number(values.repeats);
for (const [name, value] of [['--flows', FLOWS], ['--warmup', WARMUP], ['--repeats', REPEATS]] as const) {
  if (!Number.isInteger(value) || value < (name === '--warmup' ? 0 : 1)) throw new Error(`${name} must be a whole number${name === '--warmup' ? '' : ' of at least 1'}`);
}
/** Longer than node's default keep-alive timeout (5 s), which the floor's server keeps. */
const IDLE_MS = 6_000;
const dir = mkdtempSync(join(tmpdir(), 'qrid-callgrind-'));

function callgrindControl(option: string, pid: number): void {
  execFileSync('callgrind_control', [option, String(pid)], { stdio: 'ignore' });
}

/** Total `Ir` of the newest dump of `pid`. */
function dumpedInstructions(pid: number): number {
  const dumps = readdirSync(dir)
    .filter((f) => f.startsWith(`cg.${pid}.`))
    .sort((a, b) => Number(a.split('.').pop()) - Number(b.split('.').pop()));
  const text = readFileSync(join(dir, dumps.at(-1) as string), 'utf8');
  const totals = /^(?:totals|summary): (\d+)/m.exec(text);
  if (!totals?.[1]) throw new Error('no totals in the callgrind dump');
  return Number(totals[1]);
}

const millions = (ir: number) => Math.round(ir / 1e4) / 100;

interface Measured {
  /** Median instructions per flow. */
  total: number;
  /** Every window's figure (millions), so the spread shows. */
  windows: number[];
  /** Millions per step, from the medians of flows cut after each step. */
  steps?: Record<string, number>;
}

/** Instructions per flow; with --steps, also per step (each flow cut short after 1, 2, … steps). */
async function measure(server: Server, inspector: Inspector, flow: (t: FlowTarget) => Promise<number>, target: FlowTarget): Promise<Measured> {
  const pid = server.child.pid as number;
  const names = await stepNames(flow, target);
  for (let i = 0; i < WARMUP; i += 1) await flow(target);
  const window = async (steps: number) => {
    const cut = cutAfter(flow, steps);
    await inspector.collectGarbage();
    await new Promise((resolve) => setTimeout(resolve, IDLE_MS));
    callgrindControl('--zero', pid);
    for (let i = 0; i < FLOWS; i += 1) await cut(target);
    await new Promise((resolve) => setTimeout(resolve, 500));
    callgrindControl('--dump', pid);
    return dumpedInstructions(pid) / FLOWS;
  };
  // Repeats interleaved (all cuts, then all again), so a drift over the run reaches every cut alike.
  const cuts = values.steps ? names.map((_, i) => i + 1) : [names.length];
  const windows = new Map<number, number[]>(cuts.map((c) => [c, []]));
  for (let r = 0; r < REPEATS; r += 1) for (const c of cuts) windows.get(c)?.push(await window(c));
  const total = median(windows.get(names.length) ?? []);
  const result: Measured = { total, windows: (windows.get(names.length) ?? []).map(millions) };
  if (!values.steps) return result;
  const steps: Record<string, number> = {};
  let previous = 0;
  for (const [i, name] of names.entries()) {
    const cost = median(windows.get(i + 1) ?? []);
    steps[name] = Math.round((cost - previous) / 1e3) / 1e3;
    previous = cost;
  }
  return { ...result, steps };
}

async function main(): Promise<void> {
  const wrapper = ['valgrind', '--tool=callgrind', `--callgrind-out-file=${join(dir, 'cg.%p')}`, '--dump-instr=no', '--collect-jumps=no'];
  const measured: Record<string, Measured> = {};
  for (const [name, floor] of [['baseline', true], ['qrid', false]] as const) {
    if (values.only && values.only !== name) continue;
    const port = await freePort();
    const server = await startNode(serverScript(floor), port, writeConfig(`http://localhost:${port}`, { kind: 'memory' }), { nodeArgs: ['--inspect=127.0.0.1:0'], wrapper });
    const inspector = await Inspector.attach(server.output);
    try {
      measured[name] = await measure(server, inspector, floor ? baselineFlow : qrFlow, await flowTarget(server, floor));
    } finally {
      inspector.close();
      await server.stop();
    }
  }
  const { baseline, qrid } = measured;
  const ratio = baseline && qrid ? Math.round((baseline.total / qrid.total) * 100) / 100 : undefined;
  const results = Object.fromEntries(Object.entries(measured).map(([name, m]) => [name, millions(m.total)]));
  const windows = Object.fromEntries(Object.entries(measured).map(([name, m]) => [name, m.windows]));
  const steps = values.steps ? Object.fromEntries(Object.entries(measured).map(([name, m]) => [name, m.steps])) : undefined;
  process.stdout.write(
    `${JSON.stringify({ flows: FLOWS, warmup: WARMUP, repeats: REPEATS, unit: 'million instructions per flow (server, user space), median of the windows', results, windows, baselineOverQrid: ratio, ...(steps ? { steps } : {}) }, null, 1)}\n`,
  );
}

main().catch((error: unknown) => {
  process.stderr.write(`instructions failed: ${error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(1);
});
