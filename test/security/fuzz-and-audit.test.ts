import { Writable } from 'node:stream';

import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { createLogger } from '../../src/logging/logger.js';
import { BrowserClient, field } from '../support/browser-client.js';
import { answerQr, enrolledPhone, PHONE_UA, withTypedCode } from '../support/phone.js';
import { RelyingParty } from '../support/relying-party.js';
import { openQrPage, signIn } from '../support/sign-in.js';
import { type RunningQrid, startQrid, TEST_RP_CLIENT } from '../support/start-qrid.js';

/** Security suite, items 10, 14 and 15 (see SECURITY.md). */
describe('security: stale phones, malformed input, audit trail', () => {
  let qrid: RunningQrid;
  let phone: BrowserClient;
  let rp: RelyingParty;
  const lines: string[] = [];

  beforeAll(async () => {
    const sink = new Writable({
      write(chunk: Buffer, _e, done) {
        lines.push(...chunk.toString().split('\n').filter(Boolean));
        done();
      },
    });
    // Generous limits: the fuzzer is not testing rate limits (item 3 does).
    const many = 10_000_000;
    qrid = await startQrid(
      {
        rate_limits: { qr_failures_per_ip: many, typed_code_per_ip: many, typed_code_failures_global: many, approval_per_ip: many, qr_per_ip: many, enrollment_per_ip: many, token_per_ip: many },
        clients: [TEST_RP_CLIENT, { client_id: 'tv', client_name: 'TV', device_grant: true }, { client_id: 'pay', client_name: 'Pay', client_secret: 'p'.repeat(40), ciba: 'poll' }],
        push: { sign_in: true },
      },
      { logger: createLogger('info', sink) },
    );
    ({ phone } = await enrolledPhone(qrid));
    rp = await RelyingParty.discover(qrid.issuer);
  });
  afterAll(async () => {
    await qrid.close();
  });

  it('[10] a stale phone cannot approve: with a passkey on the device a fresh assertion is required, and prompt=login/max_age get a new approval', async () => {
    const other = await enrolledPhone(qrid, { username: 'stale', name: 'Stale' });
    const device = await qrid.qrid.services.devices.authenticate(other.phone.cookies.get('qrid_device')?.value);
    // The device registered a passkey earlier (the browser suite does it for real with WebAuthn).
    await qrid.store.putRecord('passkey:cred-1', { id: 'cred-1', publicKey: 'AA', counter: '0', transports: 'internal', deviceId: device!.id, userId: other.userId, synced: '' });
    await qrid.store.addToIndex(`device-passkeys:${device!.id}`, 'cred-1');

    const desktop = new BrowserClient(qrid.issuer);
    const waiting = await openQrPage(desktop, new RelyingParty(rp), { max_age: '0' });
    const path = new URL(waiting.qrUrl).pathname;
    const page = await other.phone.get(path);
    expect(page.text).toContain('Approving asks for your passkey');
    expect(page.text).toContain('asked for a fresh sign-in');
    const csrf = field(page.text, 'csrf');
    const bare = await other.phone.postForm(path, { csrf, decision: 'approve' });
    expect(bare.status).toBe(403);
    expect(bare.text).toContain('needs your passkey');
    const junk = await other.phone.postForm(path, { csrf, decision: 'approve', assertion: JSON.stringify({ id: 'cred-1', response: {} }) });
    expect(junk.status).toBe(400);
    expect(JSON.parse((await desktop.get(`/interaction/${waiting.uid}/status`, { Accept: 'application/json' })).text)).toMatchObject({ state: 'waiting' });

    // A browser with a live session still gets a QR (not a silent code) for prompt=login and max_age.
    const signedIn = new BrowserClient(qrid.issuer);
    await signIn(signedIn, phone, new RelyingParty(rp));
    for (const extra of [{ prompt: 'login' }, { max_age: '0' }] as Array<Record<string, string>>) {
      const again = await signedIn.follow(await signedIn.get(await new RelyingParty(rp).authorizationUrl(extra)));
      expect(again.status).toBe(200);
      expect(again.text).toContain('id="qr"');
    }
  });

  it('[14] thousands of malformed requests to every route: no 5xx, no crash, no stack trace; a good login still works after', async () => {
    const desktop = new BrowserClient(qrid.issuer);
    const waiting = await openQrPage(desktop, new RelyingParty(rp));
    const deviceCookie = phone.cookies.get('qrid_device')?.value as string;
    const interactionCookie = [...desktop.cookies].map(([n, c]) => `${n}=${c.value}`).join('; ');
    const routes = [
      '/', '/phone', '/code', '/q/{h}', '/q/{h}/scan', '/q/{h}/passkey-options', `/q/${new URL(waiting.qrUrl).pathname.split('/')[2]}`,
      '/approvals/{h}', '/approvals/{h}/passkey-options', '/enroll/{h}', '/interaction/{h}', `/interaction/${waiting.uid}`,
      `/interaction/${waiting.uid}/status`, `/interaction/${waiting.uid}/complete`, `/interaction/${waiting.uid}/consent`,
      `/interaction/${waiting.uid}/abort`, `/interaction/${waiting.uid}/qr`, '/interaction/{h}/complete', '/phone/sessions/{h}/end',
      '/phone/sessions/{h}/not-me', '/phone/sessions/end-all', '/phone/devices/{h}/remove', '/phone/devices/{h}/name',
      '/phone/passkeys', '/phone/passkeys/options', '/phone/link', '/phone/link/options', '/admin', '/admin/users', '/admin/users/{h}/{h}',
      '/admin/login', '/admin/callback', '/api/companion/enroll', '/api/companion/approvals', '/healthz', '/readyz', '/metrics',
      '/static/{h}', '/auth', '/token', '/me', '/jwks', '/session/end', '/session/end/confirm', '/token/introspection',
      '/token/revocation', '/.well-known/openid-configuration', '/{h}',
      `/interaction/${waiting.uid}/this-device`, `/interaction/${waiting.uid}/this-device/passkey-options`, `/interaction/${waiting.uid}/passkey`,
      `/interaction/${waiting.uid}/passkey-options`, '/interaction/{h}/this-device', '/device', '/device/auth', '/device/{h}',
      `/interaction/${waiting.uid}/push`, '/phone/inbox', '/phone/inbox/events', '/phone/inbox/{h}', '/phone/inbox/{h}/claim',
      '/phone/inbox/{h}/passkey-options', '/phone/push', '/phone/push/off', '/backchannel', '/sw.js', '/offline',
    ];
    const segment = fc.oneof(
      fc.string({ maxLength: 40 }),
      fc.stringMatching(/^[\w-]{22}$/),
      fc.constantFrom('..', '%2e%2e%2f', '%00', '%ff', '<script>', "' OR 1=1", 'A'.repeat(3000), '%E2%28%A1', '\u202e'),
    );
    const request = fc.record({
      method: fc.constantFrom('GET', 'HEAD', 'POST', 'POST', 'PUT', 'DELETE', 'OPTIONS'),
      route: fc.constantFrom(...routes),
      segments: fc.array(segment, { minLength: 3, maxLength: 3 }),
      query: fc.option(fc.dictionary(fc.string({ maxLength: 12 }), fc.string({ maxLength: 60 }), { maxKeys: 4 })),
      contentType: fc.constantFrom('application/x-www-form-urlencoded', 'application/json', 'text/plain', 'multipart/form-data; boundary=x', '', 'application/x-www-form-urlencoded; charset=utf-16'),
      body: fc.oneof(fc.string({ maxLength: 300 }), fc.json(), fc.uint8Array({ maxLength: 300 }).map((b) => Buffer.from(b).toString('latin1'))),
      cookie: fc.constantFrom('', `qrid_device=${deviceCookie}`, interactionCookie, 'qrid_device=garbage', 'qrid_session=x; qrid_session.sig=y', '%%%=%%%'),
      accept: fc.constantFrom('text/html', 'application/json', '*/*', ''),
      origin: fc.constantFrom(qrid.issuer, 'null', 'https://evil.example', ''),
      csrfHeader: fc.string({ maxLength: 50 }),
    });
    let sent = 0;
    await fc.assert(
      fc.asyncProperty(request, async (r) => {
        let i = 0;
        const path = r.route.replace(/\{h\}/g, () => encodeURIComponent(r.segments[i++ % 3] as string));
        const query = r.query ? `?${new URLSearchParams(r.query).toString()}` : '';
        const headers: Record<string, string> = { 'User-Agent': PHONE_UA, 'X-CSRF-Token': r.csrfHeader.replace(/[^\x20-\x7e]/g, '') };
        if (r.cookie) headers.Cookie = r.cookie;
        if (r.accept) headers.Accept = r.accept;
        if (r.origin) headers.Origin = r.origin;
        if (r.contentType && r.method !== 'GET' && r.method !== 'HEAD') headers['Content-Type'] = r.contentType;
        const response = await fetch(`${qrid.issuer}${path}${query}`, {
          method: r.method,
          headers,
          body: r.method === 'GET' || r.method === 'HEAD' ? undefined : r.body,
          redirect: 'manual',
          signal: AbortSignal.timeout(5000),
        }).catch((error: unknown) => {
          throw new Error(`${r.method} ${path}: ${String(error)}`);
        });
        const text = path.endsWith('/events') ? '' : await response.text();
        sent += 1;
        expect(response.status, `${r.method} ${path}${query} → ${text.slice(0, 300)}`).toBeLessThan(500);
        expect(text, `${r.method} ${path}`).not.toMatch(/\n\s+at [\w.<>]+ \(|node_modules\/|\.ts:\d+:\d+/);
      }),
      { numRuns: 2500, seed: Number(process.env.QRID_FUZZ_SEED ?? 20261121) },
    );
    expect(sent).toBe(2500);
    const health = await fetch(`${qrid.issuer}/healthz`);
    expect(health.status).toBe(200);
    // Nothing stored was damaged: the enrolled phone still signs a new browser in.
    expect(await signIn(new BrowserClient(qrid.issuer), phone, new RelyingParty(rp))).toMatch(/code=/);
  }, 120_000);

  it('[15] approvals, denials, enrollments, device removals and session ends are each one structured event, with ids and IPs and no secrets', async () => {
    const start = lines.length;
    const { phone: p, userId } = await enrolledPhone(qrid, { username: 'audited', name: 'Audited' });
    const deviceCookie = p.cookies.get('qrid_device')?.value as string;
    const desktop = new BrowserClient(qrid.issuer);
    const waiting = await withTypedCode(desktop, await openQrPage(desktop, new RelyingParty(rp)));
    await answerQr(p, waiting.qrUrl, 'deny');
    const secondDesktop = new BrowserClient(qrid.issuer);
    const second = new RelyingParty(rp);
    const callback = await signIn(secondDesktop, p, second);
    const tokens = await second.redeem(callback);
    const home = await p.get('/phone');
    const uid = /data-session="([^"]+)"/.exec(home.text)?.[1] as string;
    await p.postForm(`/phone/sessions/${uid}/end`, { csrf: field(home.text, 'csrf') });
    const deviceId = /data-device="([^"]+)"/.exec(home.text)?.[1] as string;
    await p.postForm(`/phone/devices/${deviceId}/remove`, { csrf: field(home.text, 'csrf'), confirm: 'yes' });

    const events = lines.slice(start).map((l) => JSON.parse(l) as Record<string, unknown>).filter((e) => typeof e.event === 'string');
    const one = (name: string) => {
      const found = events.filter((e) => e.event === name);
      expect(found.length, name).toBeGreaterThanOrEqual(1);
      return found.at(-1) as Record<string, unknown>;
    };
    expect(one('device.enrolled')).toMatchObject({ accountId: userId, deviceId, ip: '127.0.0.1' });
    expect(one('approval.denied')).toMatchObject({ accountId: userId, deviceId, clientId: 'test-rp', requesterIp: '127.0.0.1', deviceIp: '127.0.0.1', interaction: waiting.uid });
    expect(one('approval.approved')).toMatchObject({ accountId: userId, deviceId, clientId: 'test-rp', requesterIp: '127.0.0.1', deviceIp: '127.0.0.1' });
    expect(one('session.started')).toMatchObject({ accountId: userId, deviceId, sessionUid: uid, clientId: 'test-rp', ip: '127.0.0.1' });
    expect(one('session.ended')).toMatchObject({ accountId: userId, sessionUid: uid, approvedByDevice: deviceId, clientIds: ['test-rp'], byDevice: deviceId, ip: '127.0.0.1' });
    expect(one('device.removed')).toMatchObject({ accountId: userId, deviceId, byDevice: deviceId, ip: '127.0.0.1' });

    const text = lines.slice(start).join('\n');
    const secrets = [
      new URL(waiting.qrUrl).pathname.split('/')[2] as string,
      waiting.typedCode,
      waiting.typedCode.replace('-', ''),
      deviceCookie.split('.')[1] as string,
      waiting.csrf,
      field(home.text, 'csrf'),
      tokens.access_token,
      new URL(callback).searchParams.get('code') as string,
    ];
    for (const secret of secrets) expect(text).not.toContain(secret);
  });
});
