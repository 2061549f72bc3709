import { randomBytes } from 'node:crypto';
import { cpus, release, totalmem } from 'node:os';
import { parseArgs } from 'node:util';

import { createLocalJWKSet, type JSONWebKeySet, jwtVerify } from 'jose';

import { projectRoot } from '../src/paths.js';
import { LoadBalancer } from '../test/support/load-balancer.js';
import { SentinelSetup } from '../test/support/redis-topologies.js';
import { authorizePath, BENCH_CLIENT, BENCH_REDIRECT, percentiles, pkce } from './flows.js';
import { attribute, EventStream, type Hit, Jar, request } from './http-client.js';
import { enrollPhone, freePort, type Server, startNode, writeConfig } from './servers.js';

/**
 * `npm run soak -- --minutes N --rate R`: complete QR logins started at a constant rate (R per
 * second) through a load balancer in front of two qrid instances on Redis Sentinel (a master
 * and a replica with AOF, three sentinels), while a chaos schedule kills and restarts an
 * instance, restarts the Redis master, fails Sentinel over, and restarts both instances one
 * after the other (SIGTERM); the schedule repeats every two minutes. Every login alternates: the browser on one instance, the phone on
 * the other. A login that breaks gets one reload five seconds later, as a person would give it.
 *
 * Reported: logins started, completed, failed with a clear error (qrid answered its documented
 * 503, also on the reload), and lost (anything else, an "expired" page included: a person did
 * everything right and was never signed in); 5xx responses, in and outside the moments a
 * component was down; p50/p99 from the phone's approval to the RP's callback. `--json` prints
 * the report as JSON only.
 */
const { values } = parseArgs({
  options: {
    minutes: { type: 'string', default: '10' },
    rate: { type: 'string', default: '2' },
    json: { type: 'boolean', default: false },
  },
});
const MINUTES = Number(values.minutes);
const RATE = Number(values.rate);
if (!(MINUTES > 0) || !(RATE > 0)) throw new Error('--minutes and --rate must be positive numbers');
const log = (text: string) => process.stderr.write(`soak: ${text}\n`);
/** A login that takes longer than this in one try is broken; the person reloads. */
const TRY_MS = 30_000;
/** How long a person looks at a broken page before reloading it. */
const RELOAD_AFTER_MS = 5_000;
/** The chaos schedule repeats every this long (once in a shorter run). */
const CYCLE_MS = 120_000;
/** After a component is back, its trouble may still be answered for this long (reconnects, retries). */
const SETTLE_MS = 5_000;

/** Something qrid said clearly: the documented 503 (temporarily unavailable). */
class ClearError extends Error {}

const windows: Array<{ name: string; from: number; to: number }> = [];
const fiveXx: Array<{ at: number; status: number; what: string; balancer?: boolean }> = [];
/**
 * The balancer's own 502 for a request an instance took and then died with (SIGKILL): no server
 * answers after SIGKILL. Counted apart from qrid's answers, and only while an instance is killed.
 */
const killedUnder = (f: { at: number; status: number; balancer?: boolean }) => f.balancer === true && stepAt(f.at).includes('SIGKILL');
/** The chaos step a moment falls in (or its settling time after), if any. */
const stepAt = (at: number) => windows.find((w) => at >= w.from && at <= w.to + SETTLE_MS)?.name ?? 'none';
const inWindow = (at: number) => stepAt(at) !== 'none';

async function hit(base: string, jar: Jar, method: string, path: string, backend: string, options: Parameters<typeof request>[4] = {}): Promise<Hit> {
  const response = await request(base, jar, method, path, { ...options, headers: { 'X-Backend': backend, ...options.headers } });
  if (response.status >= 500) {
    const balancer = response.status === 502 && /^(backend down|no backend)$/.test(response.text);
    fiveXx.push({ at: performance.now(), status: response.status, what: `${method} ${path.split('?')[0]?.replace(/[\w-]{20,}/g, ':id')}`, balancer });
    if (response.status === 503) throw new ClearError(`503 on ${method} ${path.split('?')[0]}`);
    throw new Error(`${response.status} on ${method} ${path.split('?')[0]}`);
  }
  return response;
}

type Outcome = { kind: 'completed'; latency: number } | { kind: 'failed' | 'lost'; reason: string };

/** One person's login: started, approved on the phone, finished at the RP; one reload if it breaks. */
async function login(i: number, base: string, phone: Jar, jwks: ReturnType<typeof createLocalJWKSet>): Promise<Outcome> {
  const [desk, hand] = i % 2 === 0 ? ['a', 'b'] : ['b', 'a'];
  const browser = new Jar();
  const { verifier, challenge } = pkce();
  const state = randomBytes(12).toString('base64url');
  let interaction: string | undefined;
  let approvedAt: number | undefined;
  let callback: string | undefined;
  /** One try: once given up (timed out), it stops at its next step and its stream is closed. */
  type Try = { givenUp: boolean; stream?: EventStream };
  const going = (attempt: Try) => {
    if (attempt.givenUp) throw new Error('given up');
  };

  const once = async (attempt: Try) => {
    if (!interaction) {
      const start = await hit(base, browser, 'GET', authorizePath(challenge, state), desk);
      interaction = new URL(start.location as string, base).pathname;
    }
    if (!callback) {
      const page = await hit(base, browser, 'GET', interaction, desk);
      if (!/data-state="approved"/.test(page.text)) await approve(page.text, interaction, attempt);
      going(attempt);
      const csrf = attribute(page.text, /name="csrf" value="([^"]+)"/, 'csrf');
      const completed = await hit(base, browser, 'POST', `${interaction}/complete`, desk, { form: { csrf } });
      if (!completed.location) throw new Error(`completion answered ${completed.status}`);
      going(attempt);
      const resumed = await hit(base, browser, 'GET', new URL(completed.location, base).pathname + new URL(completed.location, base).search, desk);
      if (!resumed.location?.startsWith(BENCH_REDIRECT)) throw new Error(`resume answered ${resumed.status} ${resumed.location}`);
      callback = resumed.location;
    }
    going(attempt);
    const at = performance.now();
    const code = new URL(callback).searchParams.get('code') as string;
    const form = { grant_type: 'authorization_code', code, redirect_uri: BENCH_REDIRECT, code_verifier: verifier, client_id: BENCH_CLIENT };
    const tokens = JSON.parse((await hit(base, new Jar(), 'POST', '/token', desk, { form, headers: { Accept: 'application/json' }, fromServer: true })).text) as { id_token?: string };
    if (!tokens.id_token) throw new Error(`token endpoint: ${JSON.stringify(tokens)}`);
    await jwtVerify(tokens.id_token, jwks, { audience: BENCH_CLIENT });
    return at;
  };

  /** The page's event stream; a refusal counts like any other response. */
  const listen = async (path: string) => {
    try {
      return await EventStream.open(`${base}${path}/events`, browser, { headers: { 'X-Backend': desk } });
    } catch (error) {
      const status = (error as { status?: number }).status ?? 0;
      if (status >= 500) fiveXx.push({ at: performance.now(), status, what: 'GET /interaction/:id/events' });
      throw status === 503 ? new ClearError(`503 on GET ${path}/events`) : error;
    }
  };

  /** The phone opens the page's QR and approves; the page's stream hears it (reopened if the instance asks). */
  const approve = async (html: string, path: string, attempt: Try) => {
    const qrPath = new URL(attribute(html, /id="qr"[^>]*data-qr-url="([^"]+)"/, 'QR link')).pathname;
    let stream = (attempt.stream = await listen(path));
    try {
      going(attempt);
      const phonePage = await hit(base, phone, 'GET', qrPath, hand);
      const phoneCsrf = attribute(phonePage.text, /name="csrf" value="([^"]+)"/, 'phone csrf');
      const decided = await hit(base, phone, 'POST', qrPath, hand, { form: { csrf: phoneCsrf, decision: 'approve' } });
      if (decided.status !== 200) throw new Error(`approval answered ${decided.status}`);
      approvedAt ??= performance.now();
      for (;;) {
        const event = await stream.next();
        if (event.data.state === 'approved') return;
        // Nothing in the soak expires or denies: a page that says so lost the sign-in.
        if (event.data.state === 'expired' || event.data.state === 'denied') throw new Error(`the page says ${event.data.state}`);
        if (event.data.reason) {
          // The instance is shutting down: the page reconnects (the load balancer picks a live one).
          stream.close();
          going(attempt);
          stream = attempt.stream = await listen(path);
        }
      }
    } finally {
      stream.close();
    }
  };

  const timed = () => {
    const attempt: Try = { givenUp: false };
    let timer: NodeJS.Timeout | undefined;
    const giveUp = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        attempt.givenUp = true;
        attempt.stream?.close();
        reject(new Error(`no progress in ${TRY_MS / 1000} s`));
      }, TRY_MS);
    });
    const tried = once(attempt);
    tried.catch(() => undefined); // a try given up may still fail later: that is not news
    return Promise.race([tried, giveUp]).finally(() => clearTimeout(timer));
  };
  try {
    // The one reload, a few seconds later: the time a person takes to read the page and reload it.
    const at = await timed().catch(async () => {
      await new Promise((resolve) => setTimeout(resolve, RELOAD_AFTER_MS));
      return timed();
    });
    return { kind: 'completed', latency: at - (approvedAt ?? at) };
  } catch (error) {
    return { kind: error instanceof ClearError ? 'failed' : 'lost', reason: error instanceof Error ? error.message : String(error) };
  }
}

async function main(): Promise<void> {
  const redis = new SentinelSetup({ appendOnly: true, downAfterMs: 2_000 });
  const lb = new LoadBalancer();
  const instances = new Map<string, Server>();
  const stopAll = async () => {
    for (const server of instances.values()) await server.stop();
    await lb.stop();
    await redis.stop();
  };
  // Stopped early (Ctrl-C, a timeout): nothing it started is left running.
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => void stopAll().finally(() => process.exit(130)));
  }
  try {
    await redis.start();
    await lb.start();
    const base = `http://localhost:${lb.port}`;
    const config = writeConfig(base, { kind: 'redis', url: 'redis://127.0.0.1:6379', prefix: 'soak:', sentinel: { name: redis.name, ports: redis.sentinels } });
    const ports = { a: await freePort(), b: await freePort() };
    const start = async (name: 'a' | 'b') => {
      const server = await startNode(projectRoot, 'dist/src/main.js', ports[name], config);
      instances.set(name, server);
      lb.backends.set(name, ports[name]);
      return server;
    };
    const a = await start('a');
    await start('b');
    const phone = await enrollPhone(a, base);
    const jwks = createLocalJWKSet((await (await fetch(`${base}/jwks`)).json()) as JSONWebKeySet);

    const t0 = performance.now();
    const runMs = MINUTES * 60_000;
    const chaos = async (name: string, action: () => Promise<void>) => {
      log(`${name}`);
      const window = { name, from: performance.now(), to: Number.POSITIVE_INFINITY };
      windows.push(window);
      await action();
      window.to = performance.now();
    };
    const killAndRestart = (name: 'a' | 'b') => async () => {
      const server = instances.get(name) as Server;
      if (server.child.exitCode === null && server.child.signalCode === null) {
        const exited = new Promise((resolve) => server.child.once('exit', resolve));
        server.child.kill('SIGKILL');
        await exited;
      }
      await start(name);
    };
    const rollingRestart = async () => {
      for (const name of ['a', 'b'] as const) {
        await (instances.get(name) as Server).stop(); // SIGTERM: drains, tells pages to reconnect
        await start(name);
      }
    };
    const schedule: Array<[number, string, () => Promise<void>]> = [
      [0.1, 'instance a killed (SIGKILL) and started again', killAndRestart('a')],
      [0.25, 'Redis master restarted (SIGTERM, AOF)', async () => redis.processes.restart(await redis.currentMaster())],
      [0.45, 'Sentinel failover (master killed)', async () => void (await redis.failover())],
      [0.65, 'rolling restart of both instances (SIGTERM)', rollingRestart],
      [0.8, 'instance b killed (SIGKILL) and started again', killAndRestart('b')],
    ];
    const cycleMs = Math.min(runMs, CYCLE_MS);
    let chaosError: unknown;
    const chaosDone = (async () => {
      for (let cycle = 0; (cycle + 0.1) * cycleMs < runMs; cycle += 1) {
        for (const [at, name, action] of schedule) {
          const wait = t0 + (cycle + at) * cycleMs - performance.now();
          if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
          await chaos(name, action);
          // Not a moment anything is down: the killed master comes back as a replica.
          if (name.startsWith('Sentinel')) await redis.rejoin();
        }
      }
    })().catch((error: unknown) => {
      // Reported, not thrown: the logins in flight still finish and count.
      chaosError = error;
      log(`chaos stopped: ${error instanceof Error ? error.message : String(error)}`);
    });

    const outcomes: Array<Promise<Outcome>> = [];
    for (let i = 0; performance.now() - t0 < runMs; i += 1) {
      const due = t0 + (i * 1000) / RATE;
      const wait = due - performance.now();
      if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
      if (performance.now() - t0 >= runMs) break;
      outcomes.push(login(i, base, phone, jwks));
    }
    const done = await Promise.all(outcomes);
    await chaosDone;

    const count = (kind: Outcome['kind']) => done.filter((o) => o.kind === kind).length;
    const reasons = (kind: 'failed' | 'lost') => {
      const tally = new Map<string, number>();
      for (const o of done) if (o.kind === kind) tally.set(o.reason, (tally.get(o.reason) ?? 0) + 1);
      return Object.fromEntries(tally);
    };
    const latencies = done.flatMap((o) => (o.kind === 'completed' ? [o.latency] : []));
    const { p50, p99 } = percentiles(latencies);
    const report = {
      machine: { cpus: cpus().length, cpu: cpus()[0]?.model, memoryGiB: Math.round(totalmem() / 2 ** 30), kernel: release(), node: process.version },
      minutes: MINUTES,
      rate: RATE,
      started: done.length,
      completed: count('completed'),
      failed: count('failed'),
      lost: count('lost'),
      failedReasons: reasons('failed'),
      lostReasons: reasons('lost'),
      fiveXx: {
        total: fiveXx.length,
        status503: fiveXx.filter((f) => f.status === 503).length,
        balancerWhileKilled: fiveXx.filter(killedUnder).length,
        otherThan503: fiveXx.filter((f) => f.status !== 503 && !killedUnder(f)).length,
        outsideChaos: fiveXx.filter((f) => !inWindow(f.at)).length,
        // Each one that is not the documented 503 (nor the balancer's while an instance is killed), or that came outside the chaos.
        unexpected: fiveXx.filter((f) => (f.status !== 503 && !killedUnder(f)) || !inWindow(f.at)).map((f) => `${f.status} ${f.what} during: ${stepAt(f.at)}`),
      },
      approvalToCallbackMs: { p50: Math.round(p50), p99: Math.round(p99) },
      ...(chaosError ? { chaosError: chaosError instanceof Error ? chaosError.message : String(chaosError) } : {}),
      chaos: windows.map((w) => ({ event: w.name, atSeconds: Math.round((w.from - t0) / 100) / 10, downSeconds: Math.round((w.to - w.from) / 100) / 10 })),
    };
    if (values.json) process.stdout.write(`${JSON.stringify(report)}\n`);
    else process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
  } finally {
    await stopAll();
  }
}

await main();
// Keep-alive sockets of the load generator must not hold the process open.
process.exit(0);
