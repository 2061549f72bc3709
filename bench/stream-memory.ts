import { cpus, release, totalmem } from 'node:os';
import { parseArgs } from 'node:util';

import { startRedis } from './processes.js';
import { gcHere, type Kind, retainedMemory } from './retained-memory.js';

/**
 * `node --expose-gc dist/bench/stream-memory.js [--streams 5000,10000] [--stores memory,redis,floor,koa]
 * [--snapshots DIR]`: what one open event stream keeps (bench/retained-memory.ts) for each
 * store and count, beside plain `node:http` and bare-Koa streams (`floor`, `koa`). With
 * --snapshots, heap snapshots of both stages go to DIR for bench/heap-diff.ts.
 */
const { values } = parseArgs({
  options: {
    streams: { type: 'string', default: '5000,10000' },
    stores: { type: 'string', default: 'memory,redis,floor,koa' },
    snapshots: { type: 'string' },
  },
});
const log = (text: string) => process.stderr.write(`stream-memory: ${text}\n`);

async function main(): Promise<void> {
  const machine = { cpu: cpus()[0]?.model ?? 'unknown', cores: cpus().length, memoryGiB: Math.round(totalmem() / 2 ** 30), node: process.version, kernel: release() };
  log(`machine: ${JSON.stringify(machine)}${gcHere ? '' : ' (run with --expose-gc to collect this side too)'}`);
  const kinds = (values.stores as string).split(',') as Kind[];
  const redis = kinds.includes('redis') ? await startRedis() : undefined;
  const results = [];
  for (const kind of kinds) for (const n of (values.streams as string).split(',').map(Number)) results.push(await retainedMemory(kind, n, redis?.url, { snapshots: values.snapshots }));
  await redis?.stop();
  process.stdout.write(`${JSON.stringify({ machine, results }, null, 2)}\n\n| store | streams | RSS/stream | heap used/stream | heap total/stream | RSS/stream incl. pending login |\n| --- | --- | --- | --- | --- | --- |\n`);
  const kb = (bytes: number) => `${(bytes / 1024).toFixed(1)} KB`;
  for (const r of results) {
    process.stdout.write(`| ${r.store} | ${r.streams} | ${kb(r.perStream.rss)} | ${kb(r.perStream.heap)} | ${kb(r.perStream.heapTotal)} | ${kb(r.perStreamWithPendingLogin.rss)} |\n`);
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`stream-memory failed: ${error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(1);
});
