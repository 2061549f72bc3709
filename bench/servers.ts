import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { Redis } from 'ioredis';

import { BENCH_CLIENT, BENCH_REDIRECT, type FlowTarget, loadJwks } from './flows.js';
import { attribute, deviceAgent, Jar, request } from './http-client.js';

/** The processes the bench starts: qrid (this build or another checkout's), oidc-provider's floor, Redis. */
const dir = mkdtempSync(join(tmpdir(), 'qrid-bench-'));
const METRICS_TOKEN = 'bench-metrics-token-0123456789';

export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

export async function until(what: string, probe: () => Promise<boolean>, timeoutMs = 30_000): Promise<void> {
  const started = Date.now();
  while (Date.now() - started < timeoutMs) {
    if (await probe().catch(() => false)) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`timed out waiting for ${what}`);
}

/**
 * The bench's own CPU split on a machine with two or more CPUs (and taskset): every server on
 * the last CPU, this process (the load generator) and Redis on the others, so a server is
 * measured on one core of its own. `taskset` missing: left to the scheduler.
 */
export function cpuSplit(): { server: string; generator: string } | undefined {
  try {
    const allowed = /^Cpus_allowed_list:\s*(\S+)$/m.exec(readFileSync('/proc/self/status', 'utf8'))?.[1] ?? '';
    const cpus = allowed.split(',').flatMap((part) => {
      const [a, b = a] = part.split('-').map(Number) as [number, number?];
      return Array.from({ length: (b as number) - a + 1 }, (_, i) => a + i);
    });
    if (cpus.length < 2) return undefined;
    const split = { server: String(cpus.at(-1)), generator: cpus.slice(0, -1).join(',') };
    execFileSync('taskset', ['--all-tasks', '--cpu-list', '--pid', split.generator, String(process.pid)], { stdio: 'ignore' });
    return split;
  } catch {
    return undefined;
  }
}
const onCpus = (cpus: string | undefined) => (cpus ? ['taskset', '--cpu-list', cpus] : []);

export type StoreChoice =
  | { kind: 'memory' }
  | { kind: 'redis'; url: string; prefix: string; sentinel?: { name: string; ports: number[] } };

/** One public first-party client, no rate limit in the way, metrics behind a token: the same for every server. */
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
      `metrics: { token: ${METRICS_TOKEN} }`,
      'store:',
      `  kind: ${store.kind}`,
      ...(store.kind === 'redis' ? [`  redis_url: ${store.url}`, `  key_prefix: "${store.prefix}"`] : []),
      ...(store.kind === 'redis' && store.sentinel
        ? [`  sentinel: { name: ${store.sentinel.name}, nodes: [${store.sentinel.ports.map((port) => `{ host: 127.0.0.1, port: ${port} }`).join(', ')}] }`]
        : []),
      `rate_limits: { typed_code_per_ip: ${big}, approval_per_ip: ${big}, qr_per_ip: ${big}, enrollment_per_ip: ${big}, token_per_ip: ${big}, qr_failures_per_ip: ${big}, open_streams_per_ip: ${big} }`,
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
  output(): string;
  stop(): Promise<void>;
}

/** Node's flags from a checkout's `npm start` (`node <flags> dist/src/main.js`), so each build runs as it ships. */
function startFlags(checkout: string): string[] {
  const start = (JSON.parse(readFileSync(join(checkout, 'package.json'), 'utf8')) as { scripts?: { start?: string } }).scripts?.start ?? '';
  return start.split(/\s+/).filter((word) => word.startsWith('--'));
}

/**
 * Starts `script` (relative to `checkout`) on `port` with `configFile`; qrid gets its checkout's
 * start flags. `inspectPort`: the inspector listens there (for `collectGarbage`).
 */
export async function startNode(checkout: string, script: string, port: number, configFile: string, cpus?: string, inspectPort?: number): Promise<Server> {
  const flags = script === 'dist/src/main.js' ? startFlags(checkout) : [];
  const inspect = inspectPort ? [`--inspect=127.0.0.1:${inspectPort}`] : [];
  const command = [...onCpus(cpus), process.execPath, ...flags, ...inspect, join(checkout, script)];
  const child = spawn(command[0] as string, command.slice(1), { env: { PATH: process.env.PATH ?? '', QRID_CONFIG: configFile, PORT: String(port) }, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout?.on('data', (c: Buffer) => (output += c.toString()));
  child.stderr?.on('data', (c: Buffer) => (output += c.toString()));
  const base = `http://localhost:${port}`;
  await until(`${script} on ${port}`, async () => {
    if (child.exitCode !== null) throw new Error(`${script} exited:\n${output}`);
    return (await fetch(`${base}/.well-known/openid-configuration`)).ok;
  });
  return {
    base,
    port,
    child,
    output: () => output,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.on('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}

/** A Redis of the bench's own, so its counters and memory measure one server alone. */
export async function startRedis(cpus?: string): Promise<{ url: string; client: Redis; stop(): Promise<void> }> {
  const port = await freePort();
  const command = [...onCpus(cpus), 'redis-server', '--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'];
  const child = spawn(command[0] as string, command.slice(1), { stdio: 'ignore' });
  const client = new Redis({ port, host: '127.0.0.1', lazyConnect: true, retryStrategy: () => 100 });
  client.on('error', () => undefined);
  await until('redis-server', async () => {
    if (client.status !== 'ready') await client.connect().catch(() => undefined);
    return (await client.ping()) === 'PONG';
  });
  return { url: `redis://127.0.0.1:${port}`, client, stop: async () => void (client.disconnect(), child.kill('SIGTERM')) };
}

/** What flows need of a server: for qrid the bench's phone, enrolled through the setup link it printed. */
export async function flowTarget(server: Server, floor: boolean): Promise<FlowTarget> {
  const phone = floor ? new Jar() : await enrollPhone(server);
  return { browserBase: server.base, phoneBase: server.base, issuer: server.base, phone, jwks: await loadJwks(server.base) };
}

/** The phone, enrolled through the setup link the server printed; `base`: where it reaches qrid (the server, or a load balancer in front). */
export async function enrollPhone(server: Server, base = server.base): Promise<Jar> {
  await until('the setup link', async () => /\/enroll\/[\w-]{22}/.test(server.output()));
  const path = (/\/enroll\/[\w-]{22}/.exec(server.output()) as RegExpExecArray)[0];
  const phone = new Jar(deviceAgent());
  const page = await request(base, phone, 'GET', path);
  const csrf = attribute(page.text, /name="csrf" value="([^"]+)"/, 'enrollment csrf');
  const done = await request(base, phone, 'POST', path, { form: { csrf, username: 'bench', device_name: 'bench phone' } });
  if (done.status !== 303) throw new Error(`enrollment answered ${done.status}`);
  return phone;
}

/** A full garbage collection in a server started with `inspectPort`, through the DevTools protocol. */
export async function collectGarbage(inspectPort: number): Promise<void> {
  const [target] = (await (await fetch(`http://127.0.0.1:${inspectPort}/json/list`)).json()) as Array<{ webSocketDebuggerUrl: string }>;
  const socket = new WebSocket(target?.webSocketDebuggerUrl as string);
  await new Promise((resolve, reject) => ((socket.onopen = resolve), (socket.onerror = reject)));
  await new Promise((resolve) => {
    socket.onmessage = resolve;
    socket.send(JSON.stringify({ id: 1, method: 'HeapProfiler.collectGarbage' }));
  });
  socket.close();
}

/** One of qrid's metrics (NaN when missing). */
export async function metric(base: string, name: string): Promise<number> {
  const text = await (await fetch(`${base}/metrics`, { headers: { Authorization: `Bearer ${METRICS_TOKEN}` } })).text();
  const line = text.split('\n').find((l) => l.startsWith(`${name} `));
  return line ? Number(line.split(' ').pop()) : Number.NaN;
}
