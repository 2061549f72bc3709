import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';

import { baselineFlow, cutAfter, type FlowTarget, qrFlow, stepNames } from './flows.js';
import { freePort } from './loopback.js';
import { flowTarget, type Server, startNode, writeConfig } from './processes.js';

/**
 * `node dist/bench/instructions.js [--flows 200] [--warmup 100]`: user-space instructions the
 * server executes per flow, counted by `valgrind --tool=callgrind`, for the baseline's instant
 * sign-in and qrid's QR login (memory store), flows one at a time. Flows per second on a shared
 * VM move by ±30 % from run to run; an instruction count is the same within a few per cent
 * whatever else the machine does, so this is how a change to qrid's per-flow work is judged.
 * It does not see kernel time (system calls, socket writes), nor wake-ups saved by batching.
 */
const { values } = parseArgs({
  options: { flows: { type: 'string', default: '200' }, warmup: { type: 'string', default: '300' }, only: { type: 'string' }, steps: { type: 'boolean', default: false } },
});
const FLOWS = Number(values.flows);
const WARMUP = Number(values.warmup);
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

/** Instructions per flow; with --steps, also per step (each flow cut short after 1, 2, … steps). */
async function measure(server: Server, flow: (t: FlowTarget) => Promise<number>, target: FlowTarget): Promise<{ total: number; steps?: Record<string, number> }> {
  const pid = server.child.pid as number;
  const names = await stepNames(flow, target);
  for (let i = 0; i < WARMUP; i += 1) await flow(target);
  const perFlow = async (steps: number) => {
    const cut = cutAfter(flow, steps);
    await new Promise((resolve) => setTimeout(resolve, 500));
    callgrindControl('--zero', pid);
    for (let i = 0; i < FLOWS; i += 1) await cut(target);
    await new Promise((resolve) => setTimeout(resolve, 500));
    callgrindControl('--dump', pid);
    return dumpedInstructions(pid) / FLOWS;
  };
  if (!values.steps) return { total: await perFlow(names.length) };
  const steps: Record<string, number> = {};
  let previous = 0;
  for (const [i, name] of names.entries()) {
    const cost = await perFlow(i + 1);
    steps[name] = Math.round((cost - previous) / 1e3) / 1e3;
    previous = cost;
  }
  return { total: previous, steps };
}

async function main(): Promise<void> {
  const wrapper = ['valgrind', '--tool=callgrind', `--callgrind-out-file=${join(dir, 'cg.%p')}`, '--dump-instr=no', '--collect-jumps=no'];
  const results: Record<string, number> = {};
  const steps: Record<string, Record<string, number> | undefined> = {};
  if (values.only !== 'qrid') {
    const port = await freePort();
    const baseline = await startNode('dist/bench/baseline-server.js', port, writeConfig(`http://localhost:${port}`, { kind: 'memory' }), [], [], wrapper);
    ({ total: results.baseline, steps: steps.baseline } = await measure(baseline, baselineFlow, await flowTarget(baseline, true)));
    await baseline.stop();
  }
  if (values.only !== 'baseline') {
    const port = await freePort();
    const qrid = await startNode('dist/src/main.js', port, writeConfig(`http://localhost:${port}`, { kind: 'memory' }), [], [], wrapper);
    ({ total: results.qrid, steps: steps.qrid } = await measure(qrid, qrFlow, await flowTarget(qrid, false)));
    await qrid.stop();
  }
  const millions = Object.fromEntries(Object.entries(results).map(([name, ir]) => [name, Math.round(ir / 1e4) / 100]));
  const ratio = results.baseline && results.qrid ? Math.round((results.baseline / results.qrid) * 100) / 100 : undefined;
  process.stdout.write(`${JSON.stringify({ flows: FLOWS, warmup: WARMUP, unit: 'million instructions per flow (server, user space)', results: millions, baselineOverQrid: ratio, ...(values.steps ? { steps } : {}) }, null, 1)}\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(`instructions failed: ${error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(1);
});
