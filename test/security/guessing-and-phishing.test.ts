import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';

import { TYPED_CODE_ALPHABET, TYPED_CODE_LENGTH } from '../../src/security/tokens.js';
import { BrowserClient, field } from '../support/browser-client.js';
import { answerQr, enrolledPhone, PHONE_UA } from '../support/phone.js';
import { RelyingParty } from '../support/relying-party.js';
import { completeToCallback, openQrPage } from '../support/sign-in.js';
import { type RunningQrid, startQrid } from '../support/start-qrid.js';

/** Security suite, items 3, 7 and 8 (see SECURITY.md). */
describe('security: guessing, relayed QR codes, prefetching', () => {
  let qrid: RunningQrid;
  let phone: BrowserClient;
  let rp: RelyingParty;
  const limits = { qr_failures_per_ip: 5, typed_code_per_ip: 4 };

  beforeAll(async () => {
    // proxy: true so each test browser can sit on its own network (X-Forwarded-For).
    qrid = await startQrid({ proxy: true, rate_limits: limits });
    ({ phone } = await enrolledPhone(qrid));
    rp = await RelyingParty.discover(qrid.issuer);
  });
  afterAll(async () => {
    await qrid.close();
  });
  afterEach(() => {
    delete phone.headers['X-Forwarded-For'];
  });

  const on = (client: BrowserClient, ip: string) => {
    client.headers['X-Forwarded-For'] = ip;
    return client;
  };

  it('[03] handles are 128-bit random; guessing handles or typed codes hits 429 quickly; typed codes have the entropy for that limit', async () => {
    const handles = new Set<string>();
    for (let i = 0; i < 30; i += 1) {
      const page = await openQrPage(on(new BrowserClient(qrid.issuer), `198.51.100.${i + 1}`), new RelyingParty(rp));
      const handle = new URL(page.qrUrl).pathname.split('/')[2] as string;
      // <approval id>.<secret>: the id is the interaction's uid, the secret 128 random bits.
      const [approvalId, secret] = handle.split('.') as [string, string];
      expect(approvalId).toBe(page.uid);
      expect(Buffer.from(secret, 'base64url')).toHaveLength(16);
      handles.add(handle);
    }
    expect(handles.size).toBe(30);

    const guesser = on(new BrowserClient(qrid.issuer, PHONE_UA), '192.0.2.66');
    for (const [name, c] of phone.cookies) guesser.cookies.set(name, c);
    const statuses: number[] = [];
    for (let i = 0; i < limits.qr_failures_per_ip + 2; i += 1) {
      statuses.push((await guesser.get(`/q/${Buffer.from(`guess-${i}-`.padEnd(16, 'x')).toString('base64url')}`)).status);
    }
    expect(statuses.slice(0, limits.qr_failures_per_ip)).toEqual(Array(limits.qr_failures_per_ip).fill(404));
    expect(statuses.slice(limits.qr_failures_per_ip)).toEqual([429, 429]);
    // Once blocked, even a genuine handle is refused for that address: guessing gains nothing.
    const genuine = await openQrPage(on(new BrowserClient(qrid.issuer), '198.51.100.200'), new RelyingParty(rp));
    const blocked = await guesser.get(new URL(genuine.qrUrl).pathname);
    expect(blocked.status).toBe(429);
    expect(Number(blocked.headers.get('retry-after'))).toBeGreaterThan(0);

    const csrf = field((await on(phone, '192.0.2.77').get('/phone')).text, 'csrf');
    const typed: number[] = [];
    for (let i = 0; i < limits.typed_code_per_ip + 1; i += 1) typed.push((await phone.postForm('/code', { csrf, code: 'ZZZZ-ZZZZ' })).status);
    expect(typed).toEqual([...Array(limits.typed_code_per_ip).fill(400), 429]);
    delete phone.headers['X-Forwarded-For'];

    // RFC 8628 §5.1: with L attempts per window per address, one code survives with
    // probability ≥ 1 − L / |space|. 20^8 values and 10 tries (the default) leave 4·10⁻¹⁰.
    const space = TYPED_CODE_ALPHABET.length ** TYPED_CODE_LENGTH;
    expect(Math.log2(space)).toBeGreaterThan(34);
    expect(qrid.config.rate_limits.typed_code_per_ip / space).toBeLessThan(1e-6);
    expect(10 / 20 ** 8).toBeLessThan(1e-9);
  });

  it('[07] a relayed QR (phone on another network) warns, demands number matching, and a wrong pick denies', async () => {
    const attacker = on(new BrowserClient(qrid.issuer), '198.51.100.10');
    const victimPhone = on(phone, '203.0.113.20');
    const relayed = await openQrPage(attacker, new RelyingParty(rp));
    const path = new URL(relayed.qrUrl).pathname;
    const opened = await victimPhone.get(path);
    expect(opened.text).toContain('This request comes from a different network than your phone');
    expect(opened.text).toContain('On a different network from this phone');
    expect(opened.text).toContain('Address 198.51.100.10');
    expect(opened.text).toContain('Test RP');
    expect(opened.text).toMatch(/just now|seconds ago/);
    // Deny is a full button beside Approve, not a link.
    expect(opened.text).toMatch(/<button type="submit" name="decision" value="deny" class="deny"[^>]*>Deny<\/button>\s*<button type="submit" name="decision" value="approve"/);
    const choices = [...opened.text.matchAll(/name="number" value="(\d+)"/g)].map((m) => Number(m[1]));
    expect(choices).toHaveLength(3);
    const csrf = field(opened.text, 'csrf');
    expect((await victimPhone.postJson(`${path}/scan`, { 'X-CSRF-Token': csrf })).status).toBe(200);
    const status = JSON.parse((await attacker.get(`/interaction/${relayed.uid}/status`, { Accept: 'application/json' })).text) as { number: number };
    expect(choices).toContain(status.number);
    // A page opened again after the scan shows the number itself: its stream sends only later changes.
    const reloaded = await attacker.get(`/interaction/${relayed.uid}`);
    expect(/<strong id="match-number">(\d+)</.exec(reloaded.text)?.[1]).toBe(String(status.number));
    // Said in the status (a live region) for screen readers, not only shown large.
    expect(reloaded.text).toMatch(new RegExp(`id="status" class="status" role="status" aria-live="polite"[^>]*>\\s*Check your phone: pick ${status.number} there`));
    // The victim cannot see the attacker's screen: any wrong pick denies the login.
    const wrong = choices.find((n) => n !== status.number) as number;
    const denied = await victimPhone.postForm(path, { csrf, decision: 'approve', number: String(wrong) });
    expect(denied.status).toBe(403);
    expect(denied.text).toContain('not the number on the computer');
    expect(JSON.parse((await attacker.get(`/interaction/${relayed.uid}/status`, { Accept: 'application/json' })).text)).toEqual({ state: 'denied' });
    expect((await attacker.postForm(`/interaction/${relayed.uid}/complete`, { csrf: relayed.csrf })).status).toBe(409);

    // The real user on another network reads the number off their own screen and gets in.
    const desktop = on(new BrowserClient(qrid.issuer), '198.51.100.11');
    const own = new RelyingParty(rp);
    const waiting = await openQrPage(desktop, own);
    const ownPath = new URL(waiting.qrUrl).pathname;
    const ownPage = await victimPhone.get(ownPath);
    await victimPhone.postJson(`${ownPath}/scan`, { 'X-CSRF-Token': csrf });
    const shown = JSON.parse((await desktop.get(`/interaction/${waiting.uid}/status`, { Accept: 'application/json' })).text) as { number: number };
    expect((await victimPhone.postForm(ownPath, { csrf: field(ownPage.text, 'csrf'), decision: 'approve', number: String(shown.number) })).status).toBe(200);
    expect((await completeToCallback(desktop, waiting)).location).toMatch(/code=/);

    // Same network: no warning, no numbers.
    const local = on(new BrowserClient(qrid.issuer), '203.0.113.99');
    const sameNet = await openQrPage(local, new RelyingParty(rp));
    const plain = await victimPhone.get(new URL(sameNet.qrUrl).pathname);
    expect(plain.text).not.toContain('different network');
    expect(plain.text).not.toContain('name="number"');
    delete phone.headers['X-Forwarded-For'];
  });

  it('[08] GET and HEAD of every one-time URL (QR, enrollment link, link-another-device QR) leave it unused', async () => {
    const desktop = new BrowserClient(qrid.issuer);
    const waiting = await openQrPage(desktop, new RelyingParty(rp));
    const user = await qrid.qrid.services.users.create({ username: 'prefetched' });
    const invite = await qrid.qrid.services.enrollments.create('invite', user.id);
    const linkQr = await qrid.qrid.services.enrollments.create('invite', user.id, 120); // what "sign in another device" shows
    const previewers = [new BrowserClient(qrid.issuer, 'facebookexternalhit/1.1'), new BrowserClient(qrid.issuer, 'Slackbot-LinkExpanding'), phone];
    for (const client of previewers) {
      for (const path of [new URL(waiting.qrUrl).pathname, `/enroll/${invite.token}`, `/enroll/${linkQr.token}`]) {
        expect((await client.head(path)).status, `HEAD ${path} by ${client.userAgent}`).toBe(200);
        const got = await client.get(path);
        expect(got.status, `GET ${path} by ${client.userAgent}: ${got.text.slice(-600)}`).toBe(200);
      }
    }
    expect(JSON.parse((await desktop.get(`/interaction/${waiting.uid}/status`, { Accept: 'application/json' })).text)).toMatchObject({ state: 'waiting' });
    expect((await qrid.qrid.services.enrollments.peek(invite.token)).userId).toBe(user.id);
    expect((await qrid.qrid.services.enrollments.peek(linkQr.token)).userId).toBe(user.id);
    expect((await answerQr(phone, waiting.qrUrl)).status).toBe(200);
  });
});
