import { join } from 'node:path';

import { inBatches, openQrPage } from './flows.js';
import { EventStream, Jar } from './http-client.js';
import { Inspector } from './inspector.js';
import { freePort } from './loopback.js';
import { metric, metrics, QRID_SERVER, startNode, writeConfig } from './processes.js';

/**
 * What open event streams hold, measured apart from the garbage of opening them: a fresh qrid
 * (inspector attached, to force full GCs) gets N pending logins (authorize + QR page), then N
 * streams on them; each stage is sampled after full GCs on both ends. Without the GCs the
 * figure is mostly when V8 last collected (a burst of 10,000 page loads leaves 10–20 KB of
 * garbage per page, and whether it is still there depends on the machine and the moment), not
 * what a waiting page keeps. Used by `npm run bench` (bench/run.ts) and bench/stream-memory.ts.
 */
const log = (text: string) => process.stderr.write(`retained-memory: ${text}\n`);
/** The bench's own side, collected too when it runs with --expose-gc. */
export const gcHere = (globalThis as { gc?: () => void }).gc;
/** `floor` and `koa`: bench/sse-floor-server.ts, node:http alone and in a bare Koa app, for comparison. */
export type Kind = 'memory' | 'redis' | 'floor' | 'koa';

export interface Sample {
  rss: number;
  heap: number;
  heapTotal: number;
  external: number;
}

async function sample(base: string, inspector: Inspector): Promise<Sample> {
  gcHere?.();
  await new Promise((resolve) => setTimeout(resolve, 1000));
  await inspector.collectGarbage();
  const [rss, heap, heapTotal, external] = await metrics(base, ['qrid_process_resident_memory_bytes', 'qrid_nodejs_heap_size_used_bytes', 'qrid_nodejs_heap_size_total_bytes', 'qrid_nodejs_external_memory_bytes']);
  return { rss, heap, heapTotal, external };
}

const perStream = (after: Sample, before: Sample, n: number) => ({
  rss: Math.round((after.rss - before.rss) / n),
  heap: Math.round((after.heap - before.heap) / n),
  heapTotal: Math.round((after.heapTotal - before.heapTotal) / n),
  external: Math.round((after.external - before.external) / n),
});

async function pendingLogin(base: string, i: number, kind: Kind): Promise<{ jar: Jar; path: string }> {
  const jar = new Jar();
  if (kind === 'floor' || kind === 'koa') return { jar, path: `/interaction/floor${i}` };
  return { jar, path: (await openQrPage(base, jar, `s${i}`)).path };
}

/**
 * `snapshots`: a directory for heap snapshots of both stages (bench/heap-diff.ts); RSS then
 * includes the snapshots'. `cpus`: where the server runs (bench/cores.ts), this process's CPUs when absent.
 */
export async function retainedMemory(kind: Kind, n: number, redisUrl: string | undefined, { snapshots, cpus }: { snapshots?: string; cpus?: string } = {}) {
  const port = await freePort();
  const base = `http://localhost:${port}`;
  const store = kind === 'redis' ? ({ kind, url: redisUrl as string, prefix: `sm-${port}:` } as const) : ({ kind: 'memory' } as const);
  const script = kind === 'floor' || kind === 'koa' ? 'dist/bench/sse-floor-server.js' : QRID_SERVER;
  const server = await startNode(script, port, writeConfig(base, store), { nodeArgs: ['--inspect=127.0.0.1:0'], args: kind === 'koa' ? ['--koa'] : [], cpus });
  const inspector = await Inspector.attach(server.output);
  try {
    await inBatches(200, 100, (i) => pendingLogin(base, -i, kind)); // warm-up: JIT, lazily built modules
    const idle = await sample(base, inspector);
    const logins = await inBatches(n, 100, (i) => pendingLogin(base, i, kind));
    const waiting = await sample(base, inspector);
    if (snapshots) await inspector.heapSnapshot(join(snapshots, `${kind}-${n}-waiting.heapsnapshot`));
    const streams = await inBatches(n, 100, async (i) => {
      const { jar, path } = logins[i] as { jar: Jar; path: string };
      const stream = await EventStream.open(`${base}${path}/events`, jar);
      await stream.next();
      return stream;
    });
    const open = await metric(base, 'qrid_open_event_streams');
    if (open !== n) throw new Error(`qrid counts ${open} open streams, expected ${n}`);
    const streaming = await sample(base, inspector);
    if (snapshots) {
      await inspector.heapSnapshot(join(snapshots, `${kind}-${n}-streaming.heapsnapshot`));
      log(`heap snapshots ${kind}-${n}-{waiting,streaming}.heapsnapshot written`);
    }
    for (const s of streams) s.close();
    const result = {
      store: kind,
      streams: n,
      idle,
      perStream: perStream(streaming, waiting, n),
      perStreamWithPendingLogin: perStream(streaming, idle, n),
    };
    log(JSON.stringify(result));
    return result;
  } finally {
    inspector.close();
    await server.stop();
  }
}

