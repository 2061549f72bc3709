import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { isAbsolute, join } from 'node:path';

import { Redis } from 'ioredis';

import { projectRoot } from '../src/paths.js';
import { BENCH_CLIENT, BENCH_REDIRECT, drive, type FlowTarget, loadJwks } from './flows.js';
import { freePort, waitFor } from './loopback.js';
import { onCpus } from './cores.js';
import { attribute, deviceAgent, Jar, request } from './http-client.js';
import { startFlags } from './start-flags.js';
import { threadCpu } from './thread-cpu.js';

const dir = mkdtempSync(join(tmpdir(), 'qrid-bench-'));

/** Waits until `probe` says yes. */
const until = (what: string, probe: () => Promise<boolean>, timeoutMs = 20_000) => waitFor(what, async () => ((await probe()) ? true : undefined), timeoutMs);

/** The two servers the bench loads: qrid exactly as `npm start` runs it, and oidc-provider's floor (bench/baseline-server.ts). */
export const QRID_SERVER = 'dist/src/main.js';
export const FLOOR_SERVER = 'dist/bench/baseline-server.js';
export const serverScript = (floor: boolean): string => (floor ? FLOOR_SERVER : QRID_SERVER);

/** The same configuration for qrid and the baseline: one public first-party client, no limits in the way. */
export type StoreChoice = { kind: 'memory' } | { kind: 'redis'; url: string; prefix: string };

/** The bench's qrid serves /metrics on its main port behind this token (sse-floor-server.ts ignores it). */
const BENCH_METRICS_TOKEN = 'bench-metrics-token-0123456789';

export function writeConfig(issuer: string, store: StoreChoice): string {
  const file = join(dir, `qrid-${Math.random().toString(36).slice(2)}.yaml`);
  const big = 100_000_000;
  writeFileSync(
    file,
    [
      `issuer: ${issuer}`,
      'host: 127.0.0.1',
      'cookie_keys: ["bench-cookie-key-0123456789abcdef-0123456789"]',
      'log_level: error',
      `metrics: { token: ${BENCH_METRICS_TOKEN} }`,
      'store:',
      `  kind: ${store.kind}`,
      ...(store.kind === 'redis' ? [`  redis_url: ${store.url}`, `  key_prefix: "${store.prefix}"`] : []),
      `rate_limits: { typed_code_per_ip: ${big}, approval_per_ip: ${big}, qr_per_ip: ${big}, enrollment_per_ip: ${big}, token_per_ip: ${big}, qr_failures_per_ip: ${big} }`,
      'clients:',
      `  - client_id: ${BENCH_CLIENT}`,
      '    client_name: Bench SPA',
      `    redirect_uris: [${BENCH_REDIRECT}]`,
      '    first_party: true',
      '',
    ].join('\n'),
  );
  return file;
}

export interface Server {
  base: string;
  port: number;
  child: ChildProcess;
  output: () => string;
  /** performance.now() when the server answered its first request. */
  readyAt: number;
  stop(): Promise<void>;
}

export interface StartOptions {
  /** node's own flags, before the script. */
  nodeArgs?: string[];
  /** The script's own arguments. */
  args?: string[];
  /** A command the server runs under (valgrind, for bench/instructions.ts); it starts slower. */
  wrapper?: string[];
  /** The CPUs the server may run on, as taskset lists them (bench/cores.ts); this process's when absent. */
  cpus?: string;
  /** The node binary (bench/paired.ts compares runtimes); this process's own when absent. */
  node?: string;
}

/**
 * `script`: relative to this checkout, or absolute (another build, for bench/paired.ts). qrid's
 * server gets the node flags of its own checkout's `npm start` first (bench/start-flags.ts), then `nodeArgs`.
 */
export async function startNode(script: string, port: number, configFile: string, { nodeArgs = [], args = [], wrapper = [], cpus, node = process.execPath }: StartOptions = {}): Promise<Server> {
  const path = isAbsolute(script) ? script : join(projectRoot, script);
  const asNpmStart = path.endsWith(QRID_SERVER) ? startFlags(path.slice(0, -QRID_SERVER.length)) : [];
  const argv = [...asNpmStart, ...nodeArgs, path, ...args];
  const command = [...onCpus(cpus), ...wrapper, node, ...argv];
  const child = spawn(command[0] as string, command.slice(1), {
    env: { PATH: process.env.PATH ?? '', QRID_CONFIG: configFile, PORT: String(port) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (c: Buffer) => (output += c.toString()));
  child.stderr?.on('data', (c: Buffer) => (output += c.toString()));
  // A command that cannot be spawned (a mistyped --node-b, valgrind or taskset not installed)
  // and a server that exits while starting end the wait at once, saying which.
  let spawnError: Error | undefined;
  child.once('error', (error) => (spawnError = error));
  const base = `http://localhost:${port}`;
  const started = await waitFor(`${script} on ${port}`, async () => {
    if (spawnError || child.exitCode !== null || child.signalCode !== null) return 'gone';
    return (await fetch(`${base}/.well-known/openid-configuration`)).ok ? 'up' : undefined;
  }, wrapper.length > 0 ? 300_000 : 20_000);
  if (started === 'gone') {
    throw new Error(spawnError ? `could not start ${command[0]}: ${spawnError.message}` : `${script} exited (${child.exitCode ?? child.signalCode}) before it answered:\n${output}`);
  }
  return {
    base,
    port,
    child,
    output: () => output,
    readyAt: performance.now(),
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.on('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}

/** Enrolls the bench's phone through the setup link qrid printed at start. */
export async function enrollPhone(server: Server): Promise<Jar> {
  await until('the setup link', async () => /\/enroll\/[\w-]{22}/.test(server.output()));
  const path = (/\/enroll\/[\w-]{22}/.exec(server.output()) as RegExpExecArray)[0];
  const phone = new Jar(deviceAgent());
  const page = await request(server.base, phone, 'GET', path);
  const csrf = attribute(page.text, /name="csrf" value="([^"]+)"/, 'enrollment csrf');
  const done = await request(server.base, phone, 'POST', path, { form: { csrf, username: 'bench', device_name: 'bench phone' } });
  if (done.status !== 303) throw new Error(`enrollment answered ${done.status}`);
  return phone;
}

/**
 * What flows need of a started server, on its own address: for qrid (`floor` false) the
 * bench's phone enrolled, for the floor's
 * server a bare cookie jar, since its sign-in needs no phone.
 */
export async function flowTarget(server: Server, floor: boolean): Promise<FlowTarget> {
  const phone = floor ? new Jar() : await enrollPhone(server);
  return { browserBase: server.base, phoneBase: server.base, issuer: server.base, phone, jwks: await loadJwks(server.base) };
}

/** A started server with what loads it. */
export interface Loaded {
  server: Server;
  target: FlowTarget;
  flow: (target: FlowTarget) => Promise<number>;
}

/**
 * Two servers loaded in the same seconds from this process, `concurrency` flows each
 * (bench/paired.ts, bench/request-floor.ts): each one's server CPU per flow. Both see the same
 * machine at the same moment, so their ratio holds where a single run's CPU per flow moves.
 */
export async function pairedRound(a: Loaded, b: Loaded, concurrency: number, seconds: number): Promise<{ a: number; b: number; flows: { a: number; b: number } }> {
  const before = { a: cpuMicros(a.server), b: cpuMicros(b.server) };
  const [runA, runB] = await Promise.all([drive(a.flow, a.target, concurrency, seconds), drive(b.flow, b.target, concurrency, seconds)]);
  if (runA.errors || runB.errors) throw new Error(`flows failed: ${runA.firstError ?? runB.firstError}`);
  return { a: (cpuMicros(a.server) - before.a) / runA.flows, b: (cpuMicros(b.server) - before.b) / runB.flows, flows: { a: runA.flows, b: runB.flows } };
}

/** A Redis of the bench's own, so its memory and command counters measure qrid alone. */
export async function startRedis({ cpus }: { cpus?: string } = {}): Promise<{ url: string; client: Redis; stop(): Promise<void> }> {
  const port = await freePort();
  const command = [...onCpus(cpus), 'redis-server', '--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'];
  const child = spawn(command[0] as string, command.slice(1), { stdio: 'ignore' });
  const client = new Redis({ port, host: '127.0.0.1', lazyConnect: true, retryStrategy: () => 100 });
  client.on('error', () => undefined); // refused until redis-server is up; `until` retries
  await until('redis-server', async () => {
    if (client.status !== 'ready') await client.connect().catch(() => undefined);
    return (await client.ping()) === 'PONG';
  });
  return {
    url: `redis://127.0.0.1:${port}`,
    client,
    stop: async () => {
      client.disconnect();
      child.kill('SIGTERM');
    },
  };
}

/** Several of qrid's metrics from one scrape, so they are read at one moment (NaN for a missing one). */
export async function metrics<const N extends readonly string[]>(base: string, names: N): Promise<{ [K in keyof N]: number }> {
  const lines = (await (await fetch(`${base}/metrics`, { headers: { Authorization: `Bearer ${BENCH_METRICS_TOKEN}` } })).text()).split('\n');
  return names.map((name) => {
    const line = lines.find((l) => l.startsWith(`${name} `));
    return line ? Number(line.split(' ').pop()) : Number.NaN;
  }) as { [K in keyof N]: number };
}

export async function metric(base: string, name: string): Promise<number> {
  const [value] = await metrics(base, [name]);
  return value;
}

/** The server process's time on a CPU so far, in µs: every thread's (thread-cpu.ts). */
export function cpuMicros(server: Pick<Server, 'child'>): number {
  let total = 0;
  for (const micros of threadCpu(server.child.pid as number).byKind.values()) total += micros;
  return total;
}
