import * as oidc from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { BrowserClient, field } from '../support/browser-client.js';
import { openVerification } from '../support/device-grant.js';
import { enrolledPhone } from '../support/phone.js';
import { type RunningQrid, startQrid } from '../support/start-qrid.js';

/**
 * Guessing user codes at the verification page (RFC 8628 §5.1): wrong codes are limited per
 * client address and from all addresses together, with the same budgets as qrid's typed codes;
 * right codes cost nothing.
 */
describe('device grant: user-code guessing', () => {
  let qrid: RunningQrid;

  beforeAll(async () => {
    qrid = await startQrid({
      proxy: true,
      rate_limits: { typed_code_per_ip: 3, typed_code_failures_global: 5 },
      clients: [{ client_id: 'tv-app', client_name: 'TV', device_grant: true }],
    });
  });
  afterAll(async () => {
    await qrid.close();
  });

  /** One wrong guess from `address`; the status of the answer. */
  async function guess(address: string, code = 'BBBB-BBBB'): Promise<number> {
    const browser = new BrowserClient(qrid.issuer);
    browser.headers['X-Forwarded-For'] = address;
    const form = await browser.get('/device');
    if (form.status !== 200) return form.status;
    return (await browser.postForm('/device', { xsrf: field(form.text, 'xsrf'), user_code: code })).status;
  }

  it('refuses an address that keeps trying wrong codes, then everyone once too many were wrong', async () => {
    for (let i = 0; i < 3; i += 1) expect(await guess('203.0.113.7')).toBe(400);
    expect(await guess('203.0.113.7')).toBe(429);
    // Other addresses still may, until the wrong codes of all of them reach the global budget.
    expect(await guess('198.51.100.1')).toBe(400);
    expect(await guess('198.51.100.2')).toBe(400);
    expect(await guess('198.51.100.3')).toBe(429);
  });

  it('lets right codes through, however many', async () => {
    const fresh = await startQrid({ proxy: true, rate_limits: { typed_code_per_ip: 3, typed_code_failures_global: 2 }, clients: [{ client_id: 'tv-app', client_name: 'TV', device_grant: true }] });
    try {
      const tv = await oidc.discovery(new URL(fresh.issuer), 'tv-app', undefined, oidc.None(), { execute: [oidc.allowInsecureRequests] });
      const { phone } = await enrolledPhone(fresh);
      phone.headers['X-Forwarded-For'] = '192.0.2.50';
      for (let i = 0; i < 3; i += 1) {
        const started = await oidc.initiateDeviceAuthorization(tv, { scope: 'openid' });
        const screen = await openVerification(phone, started.verification_uri_complete as string);
        expect(screen.text).toContain('class="decision"');
      }
    } finally {
      await fresh.close();
    }
  });
});
