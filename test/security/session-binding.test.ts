import { decodeJwt } from 'jose';
import * as oidc from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { BrowserClient, field } from '../support/browser-client.js';
import { answerQr, enrolledPhone, readQrPage } from '../support/phone.js';
import { RelyingParty } from '../support/relying-party.js';
import { completeToCallback, openQrPage, signIn } from '../support/sign-in.js';
import { cookieHeader, openEvents } from '../support/sse.js';
import { type RunningQrid, startQrid } from '../support/start-qrid.js';

/** Security suite, items 1, 2, 4, 5, 6 and 11 of the QR-login attack list (see SECURITY.md). */
describe('security: binding a login to its browser, device and account', () => {
  let qrid: RunningQrid;
  let phone: BrowserClient;
  let aliceId: string;
  let rp: RelyingParty;

  beforeAll(async () => {
    qrid = await startQrid();
    ({ phone, userId: aliceId } = await enrolledPhone(qrid, { username: 'alice', name: 'Alice Example', email: 'alice@example.com' }));
    rp = await RelyingParty.discover(qrid.issuer);
  });
  afterAll(async () => {
    await qrid.close();
  });

  it('[01] polling, completing or resuming another browser’s login from a fresh browser issues nothing', async () => {
    const desktop = new BrowserClient(qrid.issuer);
    const waiting = await openQrPage(desktop, new RelyingParty(rp));
    const attacker = new BrowserClient(qrid.issuer);
    const tryAll = async () => {
      const results = [
        await attacker.get(`/interaction/${waiting.uid}/status`, { Accept: 'application/json' }),
        await attacker.get(`/interaction/${waiting.uid}/events`, { Accept: 'text/event-stream' }),
        await attacker.postForm(`/interaction/${waiting.uid}/complete`, { csrf: waiting.csrf }),
        await attacker.postForm(`/interaction/${waiting.uid}/qr`, {}, { 'X-CSRF-Token': waiting.csrf }),
        await attacker.get(`/interaction/${waiting.uid}`),
        await attacker.get(`/auth/${waiting.uid}`),
      ];
      for (const r of results) {
        expect(r.status).toBeGreaterThanOrEqual(400);
        expect(r.location ?? '').not.toContain('code=');
        expect(r.text).not.toContain('approved');
      }
    };
    await tryAll();
    await answerQr(phone, waiting.qrUrl);
    await tryAll(); // even once approved, the stranger gets nothing
    expect((await completeToCallback(desktop, waiting)).location).toMatch(/code=/);
  });

  it('[02] replaying the completion, the resume or the code after success is refused', async () => {
    const desktop = new BrowserClient(qrid.issuer);
    const attempt = new RelyingParty(rp);
    const waiting = await openQrPage(desktop, attempt);
    await answerQr(phone, waiting.qrUrl);
    const first = await desktop.postForm(`/interaction/${waiting.uid}/complete`, { csrf: waiting.csrf });
    expect(first.status).toBe(303);
    const resumeUrl = first.location as string;
    const callback = (await completeToCallbackFrom(desktop, first)).location as string;
    expect((await desktop.postForm(`/interaction/${waiting.uid}/complete`, { csrf: waiting.csrf })).status).toBeGreaterThanOrEqual(400);
    const replayedResume = await desktop.get(resumeUrl);
    expect(replayedResume.location ?? '').not.toContain('code=');
    const tokens = await attempt.redeem(callback);
    await expect(attempt.redeem(callback)).rejects.toMatchObject({ error: 'invalid_grant' });
    // The replay revoked what the code had issued.
    expect((await oidc.tokenIntrospection(attempt.config, tokens.access_token)).active).toBe(false);
  });

  it('[04] handles and ids supplied by the client are ignored: only server-made ones exist', async () => {
    const desktop = new BrowserClient(qrid.issuer);
    const chosen = 'ChosenByTheAttacker0001';
    const url = new URL(await new RelyingParty(rp).authorizationUrl());
    url.searchParams.set('handle', chosen);
    const page = readQrPage(await desktop.follow(await desktop.get(`${url.href}`)));
    expect(page.qrUrl).not.toContain(chosen);
    const rotated = await desktop.request('POST', `/interaction/${page.uid}/qr?handle=${chosen}`, `handle=${chosen}`, {
      'X-CSRF-Token': page.csrf,
      'Content-Type': 'application/x-www-form-urlencoded',
      Accept: 'application/json',
      Origin: qrid.issuer,
    });
    expect((JSON.parse(rotated.text) as { qrUrl: string }).qrUrl).not.toContain(chosen);
    const csrf = field((await phone.get('/phone')).text, 'csrf');
    expect((await phone.get(`/q/${chosen.slice(0, 22)}`)).status).toBe(404);
    expect((await phone.postForm(`/q/${chosen.slice(0, 22)}`, { csrf, decision: 'approve' })).status).toBe(404);
    expect((await phone.postForm(`/approvals/${chosen.slice(0, 22)}`, { csrf, decision: 'approve' })).status).toBeGreaterThanOrEqual(400);
  });

  it('[05] the account comes only from the verified device; missing, expired or foreign credentials are refused', async () => {
    const bob = await enrolledPhone(qrid, { username: 'bob', name: 'Bob' });
    const desktop = new BrowserClient(qrid.issuer);
    const attempt = new RelyingParty(rp);
    const waiting = await openQrPage(desktop, attempt);
    const path = new URL(waiting.qrUrl).pathname;
    const csrf = field((await bob.phone.get(path)).text, 'csrf');

    const noDevice = new BrowserClient(qrid.issuer);
    expect((await noDevice.postForm(path, { csrf, decision: 'approve' })).status).toBe(401);
    const bobCookie = bob.phone.cookies.get('qrid_device')?.value as string;
    const forged = new BrowserClient(qrid.issuer);
    forged.cookies.set('qrid_device', { value: `${bobCookie.split('.')[0]}.${'A'.repeat(43)}`, path: '/' });
    expect((await forged.postForm(path, { csrf, decision: 'approve' })).status).toBe(401);
    const aliceCookieOnly = new BrowserClient(qrid.issuer);
    aliceCookieOnly.cookies.set('qrid_device', { value: `${aliceId}.${bobCookie.split('.')[1]}`, path: '/' });
    expect((await aliceCookieOnly.postForm(path, { csrf, decision: 'approve' })).status).toBe(401);

    // Bob's phone approves while the body names Alice: the login is Bob's.
    const done = await bob.phone.postForm(path, { csrf, decision: 'approve', accountId: aliceId, sub: aliceId, username: 'alice' });
    expect(done.status).toBe(200);
    const tokens = await attempt.redeem((await completeToCallback(desktop, waiting)).location as string);
    expect(tokens.claims()?.sub).toBe(bob.userId);

    // A removed (expired) device credential no longer approves anything.
    const device = await qrid.qrid.services.devices.authenticate(bobCookie);
    await qrid.qrid.services.devices.delete(device!);
    const next = await openQrPage(new BrowserClient(qrid.issuer), new RelyingParty(rp));
    expect((await bob.phone.postForm(new URL(next.qrUrl).pathname, { csrf, decision: 'approve' })).status).toBe(401);
  });

  it('[06] the event stream and every status response carry no personal data before completion', async () => {
    const desktop = new BrowserClient(qrid.issuer);
    const waiting = await openQrPage(desktop, new RelyingParty(rp));
    const path = `/interaction/${waiting.uid}/events`;
    const stream = await openEvents(`${qrid.issuer}${path}`, { Cookie: cookieHeader(desktop.cookies, path) });
    const seen: string[] = [JSON.stringify(await stream.next())];
    await answerQr(phone, waiting.qrUrl);
    for (let e = await stream.next(); e; e = await stream.next()) seen.push(JSON.stringify(e));
    seen.push((await desktop.get(`/interaction/${waiting.uid}/status`, { Accept: 'application/json' })).text);
    seen.push((await desktop.get(`/interaction/${waiting.uid}/status?state=approved`, { Accept: 'application/json' })).text);
    const all = seen.join('\n');
    expect(all).toContain('approved');
    for (const personal of ['alice', 'Alice', 'example.com', aliceId, 'Test phone', 'Android', 'Pixel']) expect(all).not.toContain(personal);
    expect(Object.keys(JSON.parse(seen.at(-1) as string) as object)).toEqual(['state']);
  });

  it('[11] the session id changes at sign-in, another user replaces the earlier session, and the page says who is signed in', async () => {
    const desktop = new BrowserClient(qrid.issuer);
    const first = new RelyingParty(rp);
    await signIn(desktop, phone, first);
    const aliceSession = desktop.cookies.get('qrid_session')?.value;
    expect(aliceSession).toBeTruthy();

    // Same browser, a fresh sign-in (prompt=login): the QR page names the signed-in user.
    const second = new RelyingParty(rp);
    const waiting = await openQrPage(desktop, second, { prompt: 'login' });
    expect(waiting.html).toContain('This browser is signed in as <strong>Alice Example</strong>');
    const carol = await enrolledPhone(qrid, { username: 'carol', name: 'Carol' });
    await answerQr(carol.phone, waiting.qrUrl);
    // qrid ends Alice's session first, then Carol's login starts a new one.
    let page = await desktop.follow(await desktop.postForm(`/interaction/${waiting.uid}/complete`, { csrf: waiting.csrf }));
    const consentUid = /action="\/interaction\/([^/]+)\/consent"/.exec(page.text)?.[1];
    if (consentUid) page = await desktop.follow(await desktop.postForm(`/interaction/${consentUid}/consent`, { csrf: field(page.text, 'csrf'), decision: 'allow' }));
    expect(String(page.status) + (page.location ?? "") + page.text.slice(0, 1500)).toMatch(/code=/);
    const tokens = await second.redeem(page.location as string);
    expect(decodeJwt(tokens.id_token as string).sub).toBe(carol.userId);
    expect(desktop.cookies.get('qrid_session')?.value).not.toBe(aliceSession);
    expect(await qrid.qrid.services.provider.Session.find(aliceSession as string)).toBeUndefined();
  });
});

async function completeToCallbackFrom(desktop: BrowserClient, completed: { location?: string; status: number; text: string; headers: Headers; url: string }) {
  let page = await desktop.follow(completed as never);
  const consentUid = /action="\/interaction\/([^/]+)\/consent"/.exec(page.text)?.[1];
  if (consentUid) page = await desktop.follow(await desktop.postForm(`/interaction/${consentUid}/consent`, { csrf: field(page.text, 'csrf'), decision: 'allow' }));
  return page;
}
