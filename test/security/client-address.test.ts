import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { BrowserClient, field } from '../support/browser-client.js';
import { enrolledPhone, PHONE_UA } from '../support/phone.js';
import { RelyingParty } from '../support/relying-party.js';
import { openQrPage } from '../support/sign-in.js';
import { CONFIDENTIAL, type RunningQrid, startQrid } from '../support/start-qrid.js';

/**
 * Security suite, item 17 (see SECURITY.md): behind a proxy, the client address is the entry
 * the trusted proxy appended to X-Forwarded-For (counted from the right), never text the client
 * wrote itself. A client here sends its own "X-Forwarded-For: <anything>" and the proxy (the
 * test) appends the address it saw, as nginx's $proxy_add_x_forwarded_for does.
 */
describe('security: the client address is the one the trusted proxy saw', () => {
  let qrid: RunningQrid;
  let phone: BrowserClient;
  let rp: RelyingParty;
  const limits = { qr_failures_per_ip: 3, token_per_ip: 4 };

  beforeAll(async () => {
    qrid = await startQrid({ proxy: true, rate_limits: limits });
    ({ phone } = await enrolledPhone(qrid));
    rp = await RelyingParty.discover(qrid.issuer);
  });
  afterAll(async () => {
    await qrid.close();
  });

  /** What reaches qrid: the client's own header text, then the address the proxy saw. */
  const viaProxy = (clientWrote: string, proxySaw: string) => `${clientWrote}, ${proxySaw}`;

  it('[17] a forged X-Forwarded-For entry changes no rate-limit subject, in qrid routes and inside oidc-provider', async () => {
    const guesser = new BrowserClient(qrid.issuer, PHONE_UA);
    for (const [name, c] of phone.cookies) guesser.cookies.set(name, c);
    const statuses: number[] = [];
    for (let i = 0; i < limits.qr_failures_per_ip + 2; i += 1) {
      const forged = `10.${i}.${i}.${i}`;
      const handle = `${'x'.repeat(21)}.${Buffer.from(`guess-${i}`.padEnd(16, 'x')).toString('base64url')}`;
      statuses.push((await guesser.get(`/q/${handle}`, { 'X-Forwarded-For': viaProxy(forged, '192.0.2.9') })).status);
    }
    expect(statuses).toEqual([404, 404, 404, 429, 429]);

    // The token endpoint is oidc-provider's own route: the same address applies there.
    const tokens: number[] = [];
    for (let i = 0; i < limits.token_per_ip + 2; i += 1) {
      const response = await fetch(`${qrid.issuer}/token`, {
        method: 'POST',
        headers: {
          'Content-Type': 'application/x-www-form-urlencoded',
          Authorization: `Basic ${Buffer.from(`${CONFIDENTIAL.id}:${CONFIDENTIAL.secret}`).toString('base64')}`,
          'X-Forwarded-For': viaProxy(`172.16.${i}.1`, '192.0.2.10'),
        },
        body: new URLSearchParams({ grant_type: 'authorization_code', code: `junk-${i}`, redirect_uri: 'http://rp.test/callback' }).toString(),
      });
      tokens.push(response.status);
    }
    expect(tokens.slice(0, limits.token_per_ip).every((s) => s === 400)).toBe(true);
    expect(tokens.slice(limits.token_per_ip)).toEqual([429, 429]);
  });

  it('[17] a browser cannot claim the phone\'s network: number matching still applies and the phone shows the real address', async () => {
    const attacker = new BrowserClient(qrid.issuer);
    attacker.headers['X-Forwarded-For'] = viaProxy('203.0.113.20', '198.51.100.10');
    const relayed = await openQrPage(attacker, new RelyingParty(rp));
    phone.headers['X-Forwarded-For'] = '203.0.113.20';
    try {
      const opened = await phone.get(new URL(relayed.qrUrl).pathname);
      expect(opened.text).toContain('This request comes from a different network than your phone');
      expect(opened.text).toContain('On a different network from this phone');
      expect(opened.text).toContain('Address 198.51.100.10');
      expect(opened.text).not.toContain('Address 203.0.113.20');
      expect(opened.text).toContain('name="number"');
    } finally {
      delete phone.headers['X-Forwarded-For'];
    }
  });

  it('[17] with proxy_hops: 2 the client is the entry the outer proxy added, second from the right', async () => {
    const twoProxies = await startQrid({ proxy: true, proxy_hops: 2 });
    try {
      const { phone: own } = await enrolledPhone(twoProxies);
      const desktop = new BrowserClient(twoProxies.issuer);
      desktop.headers['X-Forwarded-For'] = '6.6.6.6, 198.51.100.7, 10.0.0.1';
      const waiting = await openQrPage(desktop, await RelyingParty.discover(twoProxies.issuer));
      const opened = await own.get(new URL(waiting.qrUrl).pathname);
      expect(opened.text).toContain('198.51.100.7');
      expect(opened.text).not.toContain('6.6.6.6');
      expect(opened.text).not.toContain('10.0.0.1');
      expect(field(opened.text, 'csrf')).toBeTruthy();
    } finally {
      await twoProxies.close();
    }
  });
});
