import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { BrowserClient, field } from '../support/browser-client.js';
import { answerQr, enrolledPhone, readQrPage } from '../support/phone.js';
import { RelyingParty } from '../support/relying-party.js';
import { type RunningQrid, startQrid } from '../support/start-qrid.js';

/** Every qrid route, fed junk: a clear 4xx page or JSON, never a 5xx or a stack trace. */
describe('malformed input to qrid routes', () => {
  let qrid: RunningQrid;
  let phone: BrowserClient;
  let uid: string;
  let desktop: BrowserClient;

  beforeAll(async () => {
    // Junk handles count as guesses; this test is about input handling, not the guess limit.
    qrid = await startQrid({ rate_limits: { qr_failures_per_ip: 1_000_000, typed_code_per_ip: 1_000_000 } });
    ({ phone } = await enrolledPhone(qrid));
    desktop = new BrowserClient(qrid.issuer);
    const rp = await RelyingParty.discover(qrid.issuer);
    uid = readQrPage(await desktop.follow(await desktop.get(await rp.authorizationUrl()))).uid;
  });
  afterAll(async () => {
    await qrid.close();
  });

  const junk = ['', 'x', '%00', '..%2F..%2Fetc%2Fpasswd', 'A'.repeat(22), 'A'.repeat(5000), '%E2%28%A1', '<script>', "'; DROP TABLE"];

  function assertClean(status: number, text: string, what: string) {
    expect(status, what).toBeGreaterThanOrEqual(200);
    expect(status, `${what}: ${text.slice(0, 300)}`).toBeLessThan(500);
    expect(text, what).not.toMatch(/\bat [\w.<>]+ \(|node_modules|\.ts:\d+/);
    expect(text, what).not.toContain('<script>alert');
  }

  it('GET routes with junk path segments and queries', async () => {
    const paths = junk.flatMap((j) => [
      `/q/${j}`,
      `/enroll/${j}`,
      `/interaction/${j}`,
      `/interaction/${j}/events`,
      `/interaction/${j}/status?state=${j}`,
      `/interaction/${uid}/status?state=${j}`,
      `/phone?${j}=${j}`,
      `/demo?${j}`,
      `/static/${j}`,
    ]);
    for (const client of [phone, desktop, new BrowserClient(qrid.issuer)]) {
      for (const path of paths) {
        const page = await client.get(path);
        assertClean(page.status, page.text, `GET ${path}`);
      }
    }
  });

  it('POST routes with junk bodies, content types and tokens', async () => {
    const csrf = field((await phone.get('/phone')).text, 'csrf');
    const targets = ['/code', '/approvals/abc', `/approvals/${'A'.repeat(22)}`, `/q/${'A'.repeat(22)}`, `/q/${'A'.repeat(22)}/scan`, `/enroll/${'A'.repeat(22)}`, `/interaction/${uid}/complete`, `/interaction/${uid}/consent`, `/interaction/${uid}/abort`, `/interaction/${uid}/qr`, '/interaction/nope/complete'];
    const bodies: Array<[string, string]> = [
      ['application/x-www-form-urlencoded', `csrf=${csrf}&code=${encodeURIComponent('ZZZZ-ZZZZ')}&decision=approve`],
      ['application/x-www-form-urlencoded', '%%%%&&&==='],
      ['application/x-www-form-urlencoded', `csrf=${csrf}&code=${'B'.repeat(10_000)}`],
      ['application/json', '{"csrf": 1, "decision": ["approve"]}'],
      ['text/plain', 'hello'],
      ['multipart/form-data; boundary=x', '--x\r\nContent-Disposition: form-data; name="a"\r\n\r\nb\r\n--x--'],
    ];
    for (const client of [phone, desktop]) {
      for (const target of targets) {
        for (const [type, body] of bodies) {
          const page = await client.request('POST', target, body, { 'Content-Type': type, Origin: qrid.issuer });
          assertClean(page.status, page.text, `POST ${target} (${type})`);
          expect(page.status, `POST ${target} (${type})`).toBeGreaterThanOrEqual(400);
        }
      }
    }
  });

  it('oversized forms and bogus cookies', async () => {
    const big = await phone.request('POST', '/code', `code=${'B'.repeat(100_000)}`, {
      'Content-Type': 'application/x-www-form-urlencoded',
      Origin: qrid.issuer,
    });
    expect(big.status).toBe(413);
    for (const cookie of ['qrid_device=.', 'qrid_device=a.b.c', `qrid_device=${'x'.repeat(4000)}`, 'qrid_device=%ZZ', '_interaction=zzz; _interaction.sig=zzz']) {
      const page = await new BrowserClient(qrid.issuer).get('/phone', { Cookie: cookie });
      assertClean(page.status, page.text, cookie);
      const status = await new BrowserClient(qrid.issuer).get(`/interaction/${uid}/status`, { Cookie: cookie, Accept: 'application/json' });
      assertClean(status.status, status.text, cookie);
    }
  });

  it('still signs in after all of that', async () => {
    const rp = await RelyingParty.discover(qrid.issuer);
    const browser = new BrowserClient(qrid.issuer);
    const waiting = readQrPage(await browser.follow(await browser.get(await rp.authorizationUrl())));
    expect((await answerQr(phone, waiting.qrUrl)).status).toBe(200);
    const done = await browser.postForm(`/interaction/${waiting.uid}/complete`, { csrf: waiting.csrf });
    expect(done.status).toBe(303);
  });
});
