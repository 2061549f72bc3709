import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { BrowserClient, field } from '../support/browser-client.js';
import { answerQr, enrolledPhone } from '../support/phone.js';
import { RelyingParty } from '../support/relying-party.js';
import { openQrPage } from '../support/sign-in.js';
import { type RunningQrid, startQrid } from '../support/start-qrid.js';

/**
 * Consent is remembered for the person, not for one browser session: after signing out (or in
 * another browser) the app does not ask again; taking it back on the phone asks again next time
 * and ends the tokens the app holds.
 */
describe('consent is remembered until taken back', () => {
  let qrid: RunningQrid;
  let phone: BrowserClient;
  let rp: RelyingParty;

  beforeAll(async () => {
    qrid = await startQrid();
    ({ phone } = await enrolledPhone(qrid));
    rp = await RelyingParty.discover(qrid.issuer);
  });
  afterAll(async () => {
    await qrid.close();
  });

  /** Signs in through a fresh browser; says whether qrid asked for consent on the way. */
  async function signInFresh(): Promise<{ asked: boolean; callback: string; own: RelyingParty }> {
    const desktop = new BrowserClient(qrid.issuer);
    const own = new RelyingParty(rp);
    const waiting = await openQrPage(desktop, own);
    await answerQr(phone, waiting.qrUrl);
    const first = await desktop.follow(await desktop.postForm(`/interaction/${waiting.uid}/complete`, { csrf: waiting.csrf }));
    const asked = first.text.includes('wants to sign you in');
    const consentUid = /action="\/interaction\/([^/]+)\/consent"/.exec(first.text)?.[1];
    const callback = asked
      ? ((await desktop.follow(await desktop.postForm(`/interaction/${consentUid}/consent`, { csrf: field(first.text, 'csrf'), decision: 'allow' }))).location as string)
      : (first.location as string);
    return { asked, callback, own };
  }

  it('asks once, then not after signing out or in another browser; taking it back asks again and ends the app\'s tokens', async () => {
    expect((await signInFresh()).asked).toBe(true);
    const home = await phone.get('/phone');
    for (const form of home.text.matchAll(/action="(\/phone\/sessions\/[^"]+\/end)"/g)) await phone.postForm(form[1] as string, { csrf: field(home.text, 'csrf') });
    const again = await signInFresh();
    expect(again.asked).toBe(false);
    expect(again.callback).toMatch(/code=/);
    const tokens = await again.own.redeem(again.callback);

    const listed = await phone.get('/phone');
    expect(listed.text).toContain('Apps you allowed');
    expect(listed.text).toMatch(/data-consent="test-rp"/);
    const revoked = await phone.postForm('/phone/consents/test-rp/revoke', { csrf: field(listed.text, 'csrf') });
    expect(revoked.status).toBe(303);
    expect((await phone.follow(revoked)).text).toContain('that app will ask for your permission again');
    const introspected = await fetch(`${qrid.issuer}/token/introspection`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded', Authorization: `Basic ${Buffer.from('test-rp:test-rp-secret-that-is-long-enough-0123456789').toString('base64')}` },
      body: new URLSearchParams({ token: tokens.access_token }).toString(),
    });
    expect(await introspected.json()).toEqual({ active: false });
    expect((await signInFresh()).asked).toBe(true);
  });
});
