import type { Redis } from 'ioredis';
import * as oidc from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { createRedisStore } from '../../src/store/redis-store.js';
import { BrowserClient, field } from '../support/browser-client.js';
import { enrolledPhone } from '../support/phone.js';
import { deletePrefix, REDIS_URL, requireRedis, testPrefix } from '../support/redis.js';
import { RelyingParty } from '../support/relying-party.js';
import { type RunningQrid, startQrid } from '../support/start-qrid.js';

/** Limits live in Redis: two instances count together, and 429s say when to come back. */
describe('rate limits', () => {
  const prefix = testPrefix('rate');
  const limits = { typed_code_per_ip: 3, approval_per_ip: 4, qr_per_ip: 5, enrollment_per_ip: 2, token_per_ip: 3, window_seconds: 60 };
  let raw: Redis;
  let a: RunningQrid;
  let b: RunningQrid;

  beforeAll(async () => {
    raw = await requireRedis();
    const store = { kind: 'redis', redis_url: REDIS_URL, key_prefix: prefix };
    a = await startQrid({ store, rate_limits: limits }, { store: createRedisStore({ url: REDIS_URL, keyPrefix: prefix }) });
    b = await startQrid({ store, rate_limits: limits }, { store: createRedisStore({ url: REDIS_URL, keyPrefix: prefix }) });
  });
  afterAll(async () => {
    await a?.close();
    await b?.close();
    await deletePrefix(raw, prefix);
    await raw?.quit();
  });

  it('limits typed-code attempts per IP across instances, with Retry-After and a page', async () => {
    const { phone } = await enrolledPhone(a);
    const onB = new BrowserClient(b.issuer, phone.userAgent);
    for (const [name, c] of phone.cookies) onB.cookies.set(name, c);
    const csrf = field((await phone.get('/phone')).text, 'csrf');
    expect((await phone.postForm('/code', { csrf, code: 'BCDF-GHJK' })).status).toBe(400);
    expect((await onB.postForm('/code', { csrf, code: 'BCDF-GHJK' })).status).toBe(400);
    expect((await phone.postForm('/code', { csrf, code: 'BCDF-GHJK' })).status).toBe(400);
    const limited = await onB.postForm('/code', { csrf, code: 'BCDF-GHJK' });
    expect(limited.status).toBe(429);
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(Number(limited.headers.get('retry-after'))).toBeLessThanOrEqual(60);
    expect(limited.text).toContain('Too many attempts');
    const json = await onB.request('POST', '/code', `csrf=${csrf}&code=x`, {
      'Content-Type': 'application/x-www-form-urlencoded',
      Accept: 'application/json',
      Origin: b.issuer,
    });
    expect(json.status).toBe(429);
    expect(JSON.parse(json.text)).toMatchObject({ error: 'rate_limited' });
  });

  it('limits QR creation and enrollment attempts', async () => {
    const rp = await RelyingParty.discover(a.issuer);
    const statuses: number[] = [];
    for (let i = 0; i < 7; i += 1) {
      const desktop = new BrowserClient(a.issuer);
      statuses.push((await desktop.follow(await desktop.get(await new RelyingParty(rp).authorizationUrl()))).status);
    }
    expect(statuses.filter((s) => s === 429).length).toBeGreaterThan(0);
    expect(statuses.filter((s) => s === 200).length).toBeLessThanOrEqual(limits.qr_per_ip);

    const user = await a.qrid.services.users.create({ username: 'many-phones' });
    const outcomes: number[] = [];
    for (let i = 0; i < 4; i += 1) {
      const { token } = await a.qrid.services.enrollments.create('invite', user.id);
      const phone = new BrowserClient(a.issuer);
      const page = await phone.get(`/enroll/${token}`);
      const done = await phone.postForm(`/enroll/${token}`, { csrf: field(page.text, 'csrf'), device_name: `phone ${i}` });
      outcomes.push(done.status);
      if (done.status === 429) {
        expect(done.headers.get('retry-after')).toBeTruthy();
        // The refused attempt did not use up its link.
        expect((await a.qrid.services.enrollments.peek(token)).userId).toBe(user.id);
      }
    }
    // One enrollment happened in the previous test (same IP); the limit is 2 per window.
    expect(outcomes).toEqual([303, 429, 429, 429]);
  });

  it('limits the token endpoint per IP with an OAuth-style 429', async () => {
    const rp = await RelyingParty.discover(b.issuer);
    const errors: unknown[] = [];
    for (let i = 0; i < 5; i += 1) {
      await oidc.refreshTokenGrant(rp.config, 'not-a-token').catch((e: unknown) => errors.push(e));
    }
    const codes = errors.map((e) => (e as { error?: string; status?: number }).status);
    expect(codes.slice(0, 3)).toEqual([400, 400, 400]);
    expect(codes.slice(3)).toEqual([429, 429]);
    const response = await fetch(`${b.issuer}/token`, { method: 'POST', body: 'grant_type=refresh_token&refresh_token=x', headers: { 'Content-Type': 'application/x-www-form-urlencoded' } });
    expect(response.status).toBe(429);
    expect(response.headers.get('retry-after')).toBeTruthy();
    expect(await response.json()).toMatchObject({ error: 'rate_limited' });
  });
});
