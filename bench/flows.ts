import { createHash, randomBytes } from 'node:crypto';

import { createLocalJWKSet, type JSONWebKeySet, jwtVerify } from 'jose';

import { attribute, EventStream, Jar, request } from './http-client.js';

export const BENCH_CLIENT = 'bench-spa';
export const BENCH_REDIRECT = 'http://bench.rp/callback';

export interface FlowTarget {
  /** Where the browser is (authorize, QR page, stream, completion, token). */
  browserBase: string;
  /** Where the phone approves (another instance, for the cross-instance latency). */
  phoneBase: string;
  issuer: string;
  phone: Jar;
  jwks: ReturnType<typeof createLocalJWKSet>;
}

export async function loadJwks(base: string): Promise<ReturnType<typeof createLocalJWKSet>> {
  return createLocalJWKSet((await (await fetch(`${base}/jwks`)).json()) as JSONWebKeySet);
}

export function pkce() {
  const verifier = randomBytes(32).toString('base64url');
  return { verifier, challenge: createHash('sha256').update(verifier).digest('base64url') };
}

export function authorizePath(challenge: string, state: string): string {
  return `/auth?${new URLSearchParams({
    client_id: BENCH_CLIENT,
    response_type: 'code',
    scope: 'openid',
    redirect_uri: BENCH_REDIRECT,
    code_challenge: challenge,
    code_challenge_method: 'S256',
    state,
    nonce: state,
  })}`;
}

/** Token exchange and ID token verification: identical for both flows. */
async function redeem(target: FlowTarget, location: string, verifier: string, state: string): Promise<void> {
  const callback = new URL(location);
  if (callback.searchParams.get('state') !== state) throw new Error(`unexpected callback: ${location}`);
  const response = await request(target.browserBase, new Jar(), 'POST', '/token', {
    form: {
      grant_type: 'authorization_code',
      code: callback.searchParams.get('code') as string,
      redirect_uri: BENCH_REDIRECT,
      code_verifier: verifier,
      client_id: BENCH_CLIENT,
    },
    headers: { Accept: 'application/json' },
    fromServer: true,
  });
  const tokens = JSON.parse(response.text) as { id_token?: string };
  if (!tokens.id_token) throw new Error(`token endpoint: ${JSON.stringify(tokens)}`);
  await jwtVerify(tokens.id_token, target.jwks, { issuer: target.issuer, audience: BENCH_CLIENT });
}

/**
 * One complete QR login: authorize → QR page → event stream open → phone GET of /q/<handle>
 * → approval POST → event received → completion → resume → token exchange → ID token verified.
 * Returns the approval-to-event latency (ms).
 */
export async function qrFlow(target: FlowTarget): Promise<number> {
  const browser = new Jar();
  const { verifier, challenge } = pkce();
  const state = randomBytes(12).toString('base64url');
  const start = await request(target.browserBase, browser, 'GET', authorizePath(challenge, state));
  const interaction = new URL(start.location as string, target.browserBase).pathname;
  const page = await request(target.browserBase, browser, 'GET', interaction);
  const qrUrl = attribute(page.text, /id="qr"[^>]*data-qr-url="([^"]+)"/, 'QR link');
  const csrf = attribute(page.text, /name="csrf" value="([^"]+)"/, 'csrf');
  const stream = await EventStream.open(`${target.browserBase}${interaction}/events`, browser, { pooled: true });
  try {
    const qrPath = new URL(qrUrl).pathname;
    const phonePage = await request(target.phoneBase, target.phone, 'GET', qrPath);
    const phoneCsrf = attribute(phonePage.text, /name="csrf" value="([^"]+)"/, 'phone csrf');
    const approvedEvent = (async () => {
      for (;;) {
        const event = await stream.next();
        if (event.data.state === 'approved') return event.at;
      }
    })();
    approvedEvent.catch(() => undefined); // awaited below; a failed flow must not leave it unhandled
    // Both instances stand behind one public origin (the issuer) in a real deployment.
    const decided = await request(target.phoneBase, target.phone, 'POST', qrPath, { form: { csrf: phoneCsrf, decision: 'approve' }, origin: target.issuer });
    const approvedAt = performance.now();
    if (decided.status !== 200) throw new Error(`approval answered ${decided.status}`);
    const eventAt = await approvedEvent;
    const completed = await request(target.browserBase, browser, 'POST', `${interaction}/complete`, { form: { csrf } });
    const resumed = await request(target.browserBase, browser, 'GET', new URL(completed.location as string, target.browserBase).pathname);
    await redeem(target, resumed.location as string, verifier, state);
    return eventAt - approvedAt;
  } finally {
    stream.close();
  }
}

/** The floor: oidc-provider with an interaction that signs in at once (no page, no phone). */
export async function baselineFlow(target: FlowTarget): Promise<number> {
  const browser = new Jar();
  const { verifier, challenge } = pkce();
  const state = randomBytes(12).toString('base64url');
  const start = await request(target.browserBase, browser, 'GET', authorizePath(challenge, state));
  const interaction = await request(target.browserBase, browser, 'GET', new URL(start.location as string, target.browserBase).pathname);
  const resumed = await request(target.browserBase, browser, 'GET', new URL(interaction.location as string, target.browserBase).pathname);
  await redeem(target, resumed.location as string, verifier, state);
  return 0;
}

/**
 * A login left waiting on its QR page, in `jar`: authorize, then the page. The bench's figures
 * for waiting pages and pending logins (bench/run.ts) are made of
 * these; nothing is redeemed, so the challenge is a fixed one. Returns the interaction's path
 * and the page's HTML.
 */
export async function openQrPage(base: string, jar: Jar, state: string): Promise<{ path: string; html: string }> {
  const query = new URLSearchParams({ client_id: BENCH_CLIENT, response_type: 'code', scope: 'openid', redirect_uri: BENCH_REDIRECT, code_challenge: 'A'.repeat(43), code_challenge_method: 'S256', state });
  const start = await request(base, jar, 'GET', `/auth?${query}`);
  const path = new URL(start.location as string, base).pathname;
  const page = await request(base, jar, 'GET', path);
  if (page.status !== 200) throw new Error(`QR page answered ${page.status}`);
  return { path, html: page.text };
}

/** `one(0)` … `one(n - 1)`, `size` at a time; their results in order. */
export async function inBatches<T>(n: number, size: number, one: (i: number) => Promise<T>): Promise<T[]> {
  const out: T[] = [];
  for (let i = 0; i < n; i += size) out.push(...(await Promise.all(Array.from({ length: Math.min(size, n - i) }, (_, j) => one(i + j)))));
  return out;
}

/** Runs `flow` from `concurrency` loops for `seconds`; returns completed flows and latencies. */
export async function drive(
  flow: (t: FlowTarget) => Promise<number>,
  target: FlowTarget,
  concurrency: number,
  seconds: number,
): Promise<{ flows: number; errors: number; seconds: number; latencies: number[]; firstError?: string }> {
  const deadline = performance.now() + seconds * 1000;
  const started = performance.now();
  let flows = 0;
  let errors = 0;
  let firstError: string | undefined;
  const latencies: number[] = [];
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (performance.now() < deadline) {
        try {
          let timer: NodeJS.Timeout | undefined;
          const timeout = new Promise<never>((_, reject) => {
            timer = setTimeout(() => reject(new Error('flow took over 15 s')), 15_000);
          });
          latencies.push(await Promise.race([flow(target), timeout]).finally(() => clearTimeout(timer)));
          flows += 1;
        } catch (error) {
          errors += 1;
          firstError ??= error instanceof Error ? error.message : String(error);
        }
      }
    }),
  );
  return { flows, errors, seconds: (performance.now() - started) / 1000, latencies, firstError };
}

export function percentiles(values: number[]): { p50: number; p95: number; p99: number; n: number } {
  const sorted = [...values].sort((a, b) => a - b);
  const at = (q: number) => Math.round((sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? Number.NaN) * 100) / 100;
  return { p50: at(0.5), p95: at(0.95), p99: at(0.99), n: sorted.length };
}

/** The middle value (the mean of the two middle ones for an even count): what repeated windows report, so one outlier moves nothing. */
export function median(values: readonly number[]): number {
  if (values.length === 0) throw new RangeError('median of no values');
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}
