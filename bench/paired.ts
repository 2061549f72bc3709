import { accessSync, constants, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';

import { pinnedSplit } from './cores.js';
import { baselineFlow, drive, qrFlow } from './flows.js';
import { freePort } from './loopback.js';
import { flowTarget, type Loaded, pairedRound, serverScript, startNode, writeConfig } from './processes.js';

/**
 * `node dist/bench/paired.js <other checkout> [--baseline] [--redis <url>] [--rounds 5] [--seconds 6] [--pinned] [--node-args-a=<flags>] [--node-args-b=<flags>] [--node-a=<binary>] [--node-b=<binary>]`:
 * the server CPU per flow of another build (A: a checkout whose `dist/` is built, e.g. a
 * `git worktree` of an earlier commit) and of this one (B), both loaded at once by this process,
 * memory store (or both on the Redis at `--redis`, each under its own key prefix), and B ÷ A
 * for each round. On a shared VM the CPU time one flow costs moves by
 * ±15 % from one run to the next (steal, frequency, the neighbours); two servers measured in
 * the same seconds see the same machine, so their ratio stays within about ±1.5 % a round
 * (an A/A run gave a mean of 0.998). The absolute figures are higher than `npm run bench`'s:
 * three busy processes share two cores. `--baseline` compares the floor's server instead;
 * `--pinned` puts both servers on one core and this process on the other; `--node-args-a/-b`
 * give each server node flags (`--node-args-b=--single-threaded-gc`; give `.` as the other
 * checkout to compare flags on one build); `--node-a/-b` run a server on another node binary
 * (`--node-b=<a checkout of the npm package node@26>/node_modules/.bin/node` with `.` compares
 * runtimes on one build).
 */
const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { baseline: { type: 'boolean', default: false }, redis: { type: 'string' }, rounds: { type: 'string', default: '5' }, seconds: { type: 'string', default: '6' }, 'node-args-a': { type: 'string', default: '' }, 'node-args-b': { type: 'string', default: '' }, 'node-a': { type: 'string' }, 'node-b': { type: 'string' }, pinned: { type: 'boolean', default: false } },
});
const other = positionals[0];
if (!other) {
  process.stderr.write('usage: node dist/bench/paired.js <other checkout with dist/ built> [--baseline] [--redis URL] [--rounds N] [--seconds S] [--pinned] [--node-args-a=FLAGS] [--node-args-b=FLAGS] [--node-a=BINARY] [--node-b=BINARY]\n');
  process.exit(2);
}
for (const option of ['node-a', 'node-b'] as const) {
  const binary = values[option];
  if (binary !== undefined && !isExecutable(binary)) {
    process.stderr.write(`paired: --${option}=${binary} is not an executable file\n`);
    process.exit(2);
  }
}
const script = serverScript(values.baseline);
const flow = values.baseline ? baselineFlow : qrFlow;
const CONCURRENCY = 4; // per server: eight in all, as in `npm run bench`
// --pinned: both servers share one core and this process has the other, as in `npm run bench`.
const split = values.pinned ? pinnedSplit() : undefined;

function isExecutable(file: string): boolean {
  try {
    accessSync(file, constants.X_OK);
    return statSync(file).isFile();
  } catch {
    return false;
  }
}

async function up(scriptPath: string, nodeArgs: string, node: string | undefined): Promise<Loaded> {
  const port = await freePort();
  const base = `http://localhost:${port}`;
  const store = values.redis ? ({ kind: 'redis', url: values.redis, prefix: `paired-${port}:` } as const) : ({ kind: 'memory' } as const);
  const server = await startNode(scriptPath, port, writeConfig(base, store), { nodeArgs: nodeArgs.split(' ').filter(Boolean), cpus: split?.server, ...(node ? { node } : {}) });
  return { server, target: await flowTarget(server, values.baseline), flow };
}

const a = await up(resolve(other, script), values['node-args-a'], values['node-a']);
const b = await up(script, values['node-args-b'], values['node-b']);
try {
  await Promise.all([drive(flow, a.target, CONCURRENCY, 2), drive(flow, b.target, CONCURRENCY, 2)]); // warm-up
  const rounds: { a: number; b: number }[] = [];
  for (let round = 1; round <= Number(values.rounds); round += 1) {
    const perFlow = await pairedRound(a, b, CONCURRENCY, Number(values.seconds));
    rounds.push(perFlow);
    process.stdout.write(`round ${round}: A ${Math.round(perFlow.a)} µs/flow (${perFlow.flows.a} flows), B ${Math.round(perFlow.b)} µs/flow (${perFlow.flows.b} flows), B/A ${(perFlow.b / perFlow.a).toFixed(3)}\n`);
  }
  const mean = (pick: (r: { a: number; b: number }) => number) => rounds.reduce((sum, r) => sum + pick(r), 0) / rounds.length;
  process.stdout.write(`mean: A ${Math.round(mean((r) => r.a))} µs/flow, B ${Math.round(mean((r) => r.b))} µs/flow, B/A ${(mean((r) => r.b) / mean((r) => r.a)).toFixed(3)}\n`);
} finally {
  await Promise.all([a.server.stop(), b.server.stop()]);
}
