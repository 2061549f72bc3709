import { parseArgs } from 'node:util';

import { pinnedSplit } from './cores.js';
import { type CpuProfile, timePerFlow } from './cpu-profile.js';
import { baselineFlow, drive, qrFlow } from './flows.js';
import { Inspector } from './inspector.js';
import { freePort } from './loopback.js';
import { flowTarget, serverScript, startNode, writeConfig } from './processes.js';
import { perFlow, threadCpu, type ThreadCpu } from './thread-cpu.js';

/**
 * `node dist/bench/where-time-goes.js [--redis <url>] [--seconds 6] [--top 25] [--pinned]`: the floor's
 * server and qrid's (memory store, or both on the Redis at `--redis`, each under its own key
 * prefix; 8 concurrent flows, one after the other), each measured twice after a warm-up:
 * first without a profiler, for CPU per flow by thread kind and by user space against the
 * kernel; then under V8's CPU profiler, started over the DevTools protocol for the load's
 * seconds only, for the main thread's time per flow by part of the stack, by package and by
 * function, side by side with the difference. The profiler adds its own cost (more for the
 * deeper stacks of qrid's flow), so read its columns against each other, and the unprofiled
 * figures for absolute CPU per flow.
 */
const { values } = parseArgs({ options: { redis: { type: 'string' }, seconds: { type: 'string', default: '6' }, top: { type: 'string', default: '25' }, pinned: { type: 'boolean', default: false } } });
// --pinned: each server on one core and this process on the other, as in `npm run bench`.
const split = values.pinned ? pinnedSplit() : undefined;
const seconds = Number(values.seconds);

interface Measured {
  rate: number;
  threads: ThreadCpu;
  profiled: ReturnType<typeof timePerFlow>;
}

async function measure(baseline: boolean): Promise<Measured> {
  const port = await freePort();
  const base = `http://localhost:${port}`;
  const store = values.redis ? ({ kind: 'redis', url: values.redis, prefix: `where-${port}:` } as const) : ({ kind: 'memory' } as const);
  const server = await startNode(serverScript(baseline), port, writeConfig(base, store), { nodeArgs: ['--inspect=127.0.0.1:0'], cpus: split?.server });
  try {
    const inspector = await Inspector.attach(server.output);
    const target = await flowTarget(server, baseline);
    const flow = baseline ? baselineFlow : qrFlow;
    await drive(flow, target, 8, 3); // warm-up: JIT and lazily built state are not a flow's cost
    const pid = server.child.pid as number;
    const before = threadCpu(pid);
    const plain = await drive(flow, target, 8, seconds);
    const threads = perFlow(before, threadCpu(pid), plain.flows);
    await inspector.call('Profiler.enable');
    await inspector.call('Profiler.start');
    const profiledRun = await drive(flow, target, 8, seconds);
    const { profile } = (await inspector.call('Profiler.stop')) as { profile: CpuProfile };
    inspector.close();
    if (plain.errors || profiledRun.errors) throw new Error(`flows failed: ${plain.firstError ?? profiledRun.firstError}`);
    return { rate: plain.flows / plain.seconds, threads, profiled: timePerFlow(profile, profiledRun.flows) };
  } finally {
    await server.stop();
  }
}

const floor = await measure(true);
const qrid = await measure(false);

const µs = (value: number) => Math.round(value).toLocaleString('en-US').padStart(7);
function table(title: string, rows: [string, number, number][]): string {
  return [`\n${title}`, `${'floor'.padStart(7)} ${'qrid'.padStart(7)} ${'qrid−floor'.padStart(10)}`, ...rows.map(([name, a, b]) => `${µs(a)} ${µs(b)} ${µs(b - a).padStart(10)}  ${name}`)].join('\n');
}
function sideBySide(pick: (m: Measured) => Map<string, number>, limit: number): [string, number, number][] {
  const keys = new Set([...pick(floor).keys(), ...pick(qrid).keys()]);
  return [...keys]
    .map((key): [string, number, number] => [key, pick(floor).get(key) ?? 0, pick(qrid).get(key) ?? 0])
    .sort((x, y) => Math.abs(y[2] - y[1]) - Math.abs(x[2] - x[1]))
    .slice(0, limit);
}
const total = (m: Map<string, number>) => [...m.values()].reduce((sum, v) => sum + v, 0);
const busy = (m: Measured) => total(m.profiled.byPart) - (m.profiled.byPart.get('idle') ?? 0);
const sum = (t: ThreadCpu) => total(t.byKind);

process.stdout.write(
  [
    `flows/s without the profiler: floor ${floor.rate.toFixed(1)}, qrid ${qrid.rate.toFixed(1)} (ratio ${(qrid.rate / floor.rate).toFixed(2)})`,
    table('server CPU per flow, µs, without the profiler', [
      ['all threads', sum(floor.threads), sum(qrid.threads)],
      ...[...new Set([...floor.threads.byKind.keys(), ...qrid.threads.byKind.keys()])].map((kind): [string, number, number] => [kind, floor.threads.byKind.get(kind) ?? 0, qrid.threads.byKind.get(kind) ?? 0]),
      ['user space (10 ms ticks)', floor.threads.userMicros, qrid.threads.userMicros],
      ['kernel (10 ms ticks)', floor.threads.systemMicros, qrid.threads.systemMicros],
    ]),
    table('main thread, µs per flow under the profiler, by part of the stack', [['busy (all but idle)', busy(floor), busy(qrid)], ...sideBySide((m) => m.profiled.byPart, 20)]),
    table('by package', sideBySide((m) => m.profiled.byPackage, Number(values.top))),
    table('by function (self time), largest differences', sideBySide((m) => m.profiled.byFunction, Number(values.top))),
    '',
  ].join('\n'),
);
process.exit(0);
