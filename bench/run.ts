import { cpus, release, totalmem } from 'node:os';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';

import { projectRoot } from '../src/paths.js';
import { baselineFlow, drive, type FlowTarget, inBatches, median, openQrPage, percentiles, qrFlow } from './flows.js';
import { EventStream, Jar } from './http-client.js';
import { collectGarbage, cpuSplit, flowTarget, freePort, metric, type Server, startNode, startRedis, type StoreChoice, writeConfig } from './servers.js';

/**
 * `npm run bench [-- --baseline <checkout>]`: qrid's QR login measured in one run beside
 * oidc-provider's own floor (the same configuration, an interaction that signs in at once), on
 * this machine: throughput on the memory store and on Redis, approval → event latency in one
 * instance and across two, memory per waiting page, Redis commands and bytes per login. With
 * `--baseline`, another build (a `git worktree` with `npm ci && npm run build` done) is measured
 * the same way in the same run, taking turns with this one, and the table shows after ÷ before.
 */
const { values } = parseArgs({
  options: {
    baseline: { type: 'string' },
    warmup: { type: 'string', default: '8' },
    rounds: { type: 'string', default: '5' },
    window: { type: 'string', default: '4' },
    concurrency: { type: 'string', default: '8' },
    streams: { type: 'string', default: '2000' },
  },
});
const [WARMUP, ROUNDS, WINDOW, CONCURRENCY, STREAMS] = [values.warmup, values.rounds, values.window, values.concurrency, values.streams].map(Number) as [number, number, number, number, number];
const log = (text: string) => process.stderr.write(`bench: ${text}\n`);
const started: Array<{ stop(): Promise<void> }> = [];
const track = <T extends { stop(): Promise<void> }>(thing: T): T => (started.push(thing), thing);
const round = (n: number, digits = 1) => Math.round(n * 10 ** digits) / 10 ** digits;

const FLOOR = 'dist/bench/floor-server.js';
const QRID = 'dist/src/main.js';
const split = cpuSplit();

interface Build {
  name: string;
  checkout: string;
}
interface Contender {
  name: string;
  flow: (t: FlowTarget) => Promise<number>;
  target: FlowTarget;
  rates: number[];
  latencies: number[];
}

async function serve(checkout: string, script: string, store: StoreChoice, issuerPort?: number): Promise<Server> {
  const port = await freePort();
  return track(await startNode(checkout, script, port, writeConfig(`http://localhost:${issuerPort ?? port}`, store), split?.server));
}

/** Every contender in turn, window after window, so all share the machine's good and bad seconds alike. */
async function throughput(contenders: Contender[]): Promise<void> {
  for (const c of contenders) await drive(c.flow, c.target, CONCURRENCY, WARMUP);
  for (let r = 0; r < ROUNDS; r += 1) {
    for (const c of contenders) {
      const run = await drive(c.flow, c.target, CONCURRENCY, WINDOW);
      if (run.errors) throw new Error(`${c.name}: ${run.errors} failed flows (first: ${run.firstError})`);
      c.rates.push(run.flows / run.seconds);
      c.latencies.push(...run.latencies);
    }
    log(`round ${r + 1}: ${contenders.map((c) => `${c.name} ${round(c.rates.at(-1) as number, 0)}/s`).join(', ')}`);
  }
}

/** What one build costs beyond throughput: cross-instance latency, Redis per login, memory per waiting page. */
async function costs(build: Build, redis: Awaited<ReturnType<typeof startRedis>>, a: Server, target: FlowTarget) {
  const b = await serve(build.checkout, QRID, { kind: 'redis', url: redis.url, prefix: 'bench:' }, a.port);
  const cross = await drive(qrFlow, { ...target, phoneBase: b.base }, 4, 8);
  if (cross.errors) throw new Error(`${build.name} across instances: ${cross.firstError}`);
  await b.stop();

  await redis.client.config('RESETSTAT');
  const flows = 100;
  for (let i = 0; i < flows; i += 1) await qrFlow(target);
  const commands = Number(/total_commands_processed:(\d+)/.exec(await redis.client.info('stats'))?.[1]) / flows;
  const usedMemory = async () => Number(/used_memory:(\d+)/.exec(await redis.client.info('memory'))?.[1]);
  const before = await usedMemory();
  const pending = 2000;
  await inBatches(pending, 50, (i) => openQrPage(a.base, new Jar(), `p${i}`));
  const bytesPerLogin = ((await usedMemory()) - before) / pending;

  // A fresh instance (memory store) holding STREAMS waiting pages: what each keeps, after full
  // garbage collections (its pending login in the store included).
  const inspectPort = await freePort();
  const port = await freePort();
  const fresh = track(await startNode(build.checkout, QRID, port, writeConfig(`http://localhost:${port}`, { kind: 'memory' }), split?.server, inspectPort));
  await flowTarget(fresh, false);
  const settle = async () => {
    for (let i = 0; i < 3; i += 1) await collectGarbage(inspectPort);
  };
  await settle();
  const [rss0, heap0] = [await metric(fresh.base, 'qrid_process_resident_memory_bytes'), await metric(fresh.base, 'qrid_nodejs_heap_size_used_bytes')];
  const streams = await inBatches(STREAMS, 100, async (i) => {
    const jar = new Jar();
    const { path } = await openQrPage(fresh.base, jar, `s${i}`);
    const stream = await EventStream.open(`${fresh.base}${path}/events`, jar);
    await stream.next();
    return stream;
  });
  await settle();
  const [rss1, heap1] = [await metric(fresh.base, 'qrid_process_resident_memory_bytes'), await metric(fresh.base, 'qrid_nodejs_heap_size_used_bytes')];
  for (const s of streams) s.close();
  await fresh.stop();
  return {
    cross: percentiles(cross.latencies),
    commands: round(commands),
    bytesPerLogin: Math.round(bytesPerLogin),
    kbPerPage: { rss: round((rss1 - rss0) / STREAMS / 1024), heap: round((heap1 - heap0) / STREAMS / 1024) },
  };
}

async function main(): Promise<void> {
  const builds: Build[] = [{ name: 'this build', checkout: projectRoot }];
  if (values.baseline) builds.push({ name: 'baseline', checkout: resolve(values.baseline) });
  const machine = `${cpus()[0]?.model ?? 'unknown CPU'}, ${cpus().length} CPUs, ${Math.round(totalmem() / 2 ** 30)} GiB, Linux ${release()}, Node ${process.version}`;
  log(`machine: ${machine}; ${split ? `servers on CPU ${split.server}, load generator and Redis on ${split.generator}` : 'not pinned'}`);

  const floorRedis = track(await startRedis(split?.generator));
  const contenders: Contender[] = [];
  const add = async (name: string, server: Server, floor: boolean) =>
    contenders.push({ name, flow: floor ? baselineFlow : qrFlow, target: await flowTarget(server, floor), rates: [], latencies: [] });
  await add('floor (memory)', await serve(projectRoot, FLOOR, { kind: 'memory' }), true);
  await add('floor (Redis)', await serve(projectRoot, FLOOR, { kind: 'redis', url: floorRedis.url, prefix: 'floor:' }), true);
  const perBuild = [];
  for (const build of builds) {
    const redis = track(await startRedis(split?.generator));
    const onRedis = await serve(build.checkout, QRID, { kind: 'redis', url: redis.url, prefix: 'bench:' });
    await add(`${build.name} (memory)`, await serve(build.checkout, QRID, { kind: 'memory' }), false);
    await add(`${build.name} (Redis)`, onRedis, false);
    perBuild.push({ build, redis, onRedis, target: contenders.at(-1)?.target as FlowTarget });
  }
  await throughput(contenders);

  const rate = (name: string) => round(median(contenders.find((c) => c.name === name)?.rates ?? []), 0);
  const floorMemory = rate('floor (memory)');
  const floorRedisRate = rate('floor (Redis)');
  type Result = { build: string; memory: number; redis: number; inInstance: ReturnType<typeof percentiles> } & Awaited<ReturnType<typeof costs>>;
  const results: Result[] = [];
  for (const { build, redis, onRedis, target } of perBuild) {
    log(`${build.name}: latency, Redis and memory costs`);
    const inInstance = percentiles(contenders.find((c) => c.name === `${build.name} (Redis)`)?.latencies ?? []);
    results.push({ build: build.name, memory: rate(`${build.name} (memory)`), redis: rate(`${build.name} (Redis)`), inInstance, ...(await costs(build, redis, onRedis, target)) });
  }
  await Promise.allSettled(started.map((thing) => thing.stop()));

  const [now, before] = results as [Result, Result | undefined];
  const rows: Array<[string, (r: Result) => number, string]> = [
    ['QR flows/s, memory store', (r) => r.memory, `floor ${floorMemory}/s`],
    ['QR flows/s, Redis', (r) => r.redis, `floor ${floorRedisRate}/s on the same kind of Redis`],
    ['approval → event p50, one instance (ms)', (r) => r.inInstance.p50, ''],
    ['approval → event p99, one instance (ms)', (r) => r.inInstance.p99, ''],
    ['approval → event p99, two instances (ms)', (r) => r.cross.p99, ''],
    ['memory per waiting page, RSS kept (KB)', (r) => r.kbPerPage.rss, `heap ${now.kbPerPage.heap} KB${before ? ` (baseline ${before.kbPerPage.heap})` : ''}`],
    ['Redis commands per login', (r) => r.commands, ''],
    ['Redis bytes per pending login', (r) => r.bytesPerLogin, ''],
  ];
  process.stdout.write(`\nmachine: ${machine}\nload: ${CONCURRENCY} concurrent flows from this process; ${ROUNDS} windows of ${WINDOW} s per server after ${WARMUP} s of warm-up, servers taking turns; rates are medians of the windows; ${STREAMS} waiting pages\n\n`);
  process.stdout.write(`| figure | ${results.map((r) => r.build).join(' | ')}${before ? ' | after ÷ before' : ''} | note |\n|---|${results.map(() => '---|').join('')}${before ? '---|' : ''}---|\n`);
  for (const [label, read, note] of rows) {
    const cells = results.map((r) => String(read(r)));
    const ratio = before ? ` | ${round(read(now) / read(before), 2)}` : '';
    process.stdout.write(`| ${label} | ${cells.join(' | ')}${ratio} | ${note} |\n`);
  }
  process.stdout.write(`\nqrid ÷ floor: memory ${round(now.memory / floorMemory, 2)}, Redis ${round(now.redis / floorRedisRate, 2)} (against the floor on memory: ${round(now.redis / floorMemory, 2)})\n`);
}

main().catch(async (error: unknown) => {
  process.stderr.write(`bench failed: ${error instanceof Error ? error.stack : String(error)}\n`);
  await Promise.allSettled(started.map((thing) => thing.stop()));
  process.exit(1);
});
