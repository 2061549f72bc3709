import { type CpuProfile, timePerFlow } from './cpu-profile.js';
import { baselineFlow, drive, qrFlow } from './flows.js';
import { freePort } from './loopback.js';
import { cpuMicros, flowTarget, serverScript, startNode, writeConfig } from './processes.js';

/**
 * `node dist/bench/profile.js [memory|redis-url] [--baseline]`: runs the QR flow against one
 * qrid started with --cpu-prof (with --baseline: the floor's flow against
 * bench/baseline-server.ts) and prints where its CPU time went (self time per function).
 * NO_PROFILE=1 runs it without the profiler, for flows/s and server CPU per flow alone.
 */
const port = await freePort();
const base = `http://localhost:${port}`;
const baseline = process.argv.includes('--baseline');
const arg = process.argv.slice(2).find((a) => !a.startsWith('--')) ?? 'memory';
const dir = process.env.PROFILE_DIR ?? '/tmp/qrid-profile';
const store = arg === 'memory' ? ({ kind: 'memory' } as const) : ({ kind: 'redis', url: arg, prefix: `profile-${port}:` } as const);
const profiling = !process.env.NO_PROFILE;
const server = await startNode(serverScript(baseline), port, writeConfig(base, store), { nodeArgs: profiling ? ['--cpu-prof', `--cpu-prof-dir=${dir}`] : [] });
const target = await flowTarget(server, baseline); // qrid steady, as the bench measures: streams catch up from the log of recent events
const cpuBefore = cpuMicros(server);
const run = await drive(baseline ? baselineFlow : qrFlow, target, 8, Number(process.env.SECONDS ?? 8));
process.stdout.write(
  `${run.flows} flows in ${run.seconds.toFixed(1)} s = ${(run.flows / run.seconds).toFixed(1)}/s (errors ${run.errors}), ${Math.round((cpuMicros(server) - cpuBefore) / run.flows)} µs of server CPU per flow\n`,
);
await server.stop();
if (!profiling) process.exit(0);

const { readdirSync, readFileSync } = await import('node:fs');
const file = readdirSync(dir).filter((f) => f.endsWith('.cpuprofile')).sort().pop() as string;
const { byPackage, byFunction } = timePerFlow(JSON.parse(readFileSync(`${dir}/${file}`, 'utf8')) as CpuProfile, run.flows);
const total = [...byPackage.values()].reduce((sum, v) => sum + v, 0);
const top = (map: Map<string, number>, n: number) =>
  [...map].sort((x, y) => y[1] - x[1]).slice(0, n).map(([k, v]) => `${((100 * v) / total).toFixed(1).padStart(5)}%  ${k}`).join('\n');
process.stdout.write(`\nby package:\n${top(byPackage, 15)}\n\nby function (self):\n${top(byFunction, 30)}\n`);
