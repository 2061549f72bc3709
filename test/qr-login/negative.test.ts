import { beforeAll, describe, expect, it } from 'vitest';

import { BrowserClient, field } from '../support/browser-client.js';
import { answerQr, enrolledPhone, readQrPage, type WaitingPage, withTypedCode } from '../support/phone.js';
import { RelyingParty } from '../support/relying-party.js';
import { withSignedInPhone } from '../support/signed-in-phone.js';
import { CONFIDENTIAL, RP_REDIRECT, type RunningQrid } from '../support/start-qrid.js';

describe('QR sign-in refuses what it must', () => {
  const fixture = withSignedInPhone();
  let qrid: RunningQrid;
  let phone: BrowserClient;
  let rp: RelyingParty;
  beforeAll(() => void ({ qrid, phone, rp } = fixture));

  async function waitingPage(desktop = new BrowserClient(qrid.issuer)): Promise<{ desktop: BrowserClient; page: WaitingPage }> {
    const page = await desktop.follow(await desktop.get(await new RelyingParty(rp).authorizationUrl()));
    return { desktop, page: readQrPage(page) };
  }
  const statusOf = async (desktop: BrowserClient, uid: string) =>
    JSON.parse((await desktop.get(`/interaction/${uid}/status`, { Accept: 'application/json' })).text) as { state: string };

  it('refuses a QR handle replayed after approval', async () => {
    const { page } = await waitingPage();
    expect((await answerQr(phone, page.qrUrl)).status).toBe(200);
    const path = new URL(page.qrUrl).pathname;
    const again = await phone.get(path);
    expect(again.status).toBe(409);
    expect(again.text).toContain('already used');
    const replay = await phone.postForm(path, { csrf: field((await phone.get('/phone')).text, 'csrf'), decision: 'approve' });
    expect(replay.status).toBe(409);
  });

  it('gives nothing to a browser without the interaction cookies, and the real browser still completes', async () => {
    const { desktop, page } = await waitingPage();
    await answerQr(phone, page.qrUrl);
    const stranger = new BrowserClient(qrid.issuer);
    const status = await stranger.get(`/interaction/${page.uid}/status`, { Accept: 'application/json' });
    expect(status.status).toBe(400);
    expect(JSON.parse(status.text)).toEqual({ error: 'interaction_not_found', error_description: expect.any(String) });
    const events = await stranger.get(`/interaction/${page.uid}/events`, { Accept: 'text/event-stream' });
    expect(events.status).toBe(400);
    const complete = await stranger.postForm(`/interaction/${page.uid}/complete`, { csrf: page.csrf });
    expect(complete.status).toBe(400);
    expect(complete.location).toBeUndefined();
    const resume = await stranger.get(`/auth/${page.uid}`);
    expect(resume.location ?? '').not.toContain('code=');

    const done = await desktop.follow(await desktop.postForm(`/interaction/${page.uid}/complete`, { csrf: page.csrf }));
    expect(done.status).toBe(200); // the consent page of the real browser
    expect(done.text).toContain('wants to sign you in');
  });

  it('refuses a second completion and a replayed resume', async () => {
    const { desktop, page } = await waitingPage();
    await answerQr(phone, page.qrUrl);
    const first = await desktop.postForm(`/interaction/${page.uid}/complete`, { csrf: page.csrf });
    expect(first.status).toBe(303);
    const resumed = await desktop.get(first.location as string);
    expect(resumed.status).toBe(303);
    const second = await desktop.postForm(`/interaction/${page.uid}/complete`, { csrf: page.csrf });
    expect(second.status).toBeGreaterThanOrEqual(400);
    expect(second.status).toBeLessThan(500);
    const replayedResume = await desktop.follow(await desktop.get(first.location as string));
    expect(replayedResume.location ?? '').not.toContain('code=');
    expect(replayedResume.status).toBe(400);
  });

  it('refuses an expired QR handle', async () => {
    const { desktop, page } = await waitingPage();
    const handle = new URL(page.qrUrl).pathname.split('/')[2] as string;
    await qrid.store.patchRecord(`approval:${page.uid}`, { handleExpiresAt: String(Date.now() - 1000) });
    const opened = await phone.get(`/q/${handle}`);
    expect(opened.status).toBe(410);
    expect(opened.text).toContain('expired');
    expect((await statusOf(desktop, page.uid)).state).toBe('waiting');
  });

  it('leaves a QR pending after GET and HEAD, from any client', async () => {
    const { desktop, page } = await waitingPage();
    const path = new URL(page.qrUrl).pathname;
    const previewer = new BrowserClient(qrid.issuer, 'Slackbot-LinkExpanding 1.0');
    for (const client of [previewer, phone]) {
      expect((await client.head(path)).status).toBe(200);
      expect((await client.get(path)).status).toBe(200);
    }
    expect((await statusOf(desktop, page.uid)).state).toBe('waiting');
    expect((await answerQr(phone, page.qrUrl)).status).toBe(200);
    expect((await statusOf(desktop, page.uid)).state).toBe('approved');
  });

  it('refuses approvals without a valid CSRF token or from another site', async () => {
    const { desktop, page } = await waitingPage();
    const path = new URL(page.qrUrl).pathname;
    const csrf = field((await phone.get(path)).text, 'csrf');
    const other = await enrolledPhone(qrid, { username: 'mallory' });
    const foreignCsrf = field((await other.phone.get('/phone')).text, 'csrf');

    expect((await phone.postForm(path, { decision: 'approve' })).status).toBe(403);
    expect((await phone.postForm(path, { csrf: 'x'.repeat(43), decision: 'approve' })).status).toBe(403);
    expect((await phone.postForm(path, { csrf: foreignCsrf, decision: 'approve' })).status).toBe(403);
    expect((await phone.postForm(path, { csrf, decision: 'approve' }, { Origin: 'https://evil.example', 'Sec-Fetch-Site': 'cross-site' })).status).toBe(403);
    expect((await phone.postForm(path, { csrf, decision: 'approve' }, { Origin: 'https://evil.example', 'Sec-Fetch-Site': '' })).status).toBe(403);
    expect((await new BrowserClient(qrid.issuer).postForm(path, { csrf, decision: 'approve' })).status).toBe(401);
    expect((await statusOf(desktop, page.uid)).state).toBe('waiting');
    expect((await phone.postForm(path, { csrf, decision: 'approve' })).status).toBe(200);
  });

  it('lets only the device that opened the QR answer it', async () => {
    const { desktop, page } = await waitingPage();
    const path = new URL(page.qrUrl).pathname;
    const csrf = field((await phone.get(path)).text, 'csrf');
    expect((await phone.postJson(`${path}/scan`, { 'X-CSRF-Token': csrf })).status).toBe(200);
    expect((await statusOf(desktop, page.uid)).state).toBe('scanned');
    const other = await enrolledPhone(qrid, { username: 'bob' });
    const stolen = await other.phone.get(path);
    expect(stolen.status).toBe(409);
    const otherCsrf = field((await other.phone.get('/phone')).text, 'csrf');
    expect((await other.phone.postForm(path, { csrf: otherCsrf, decision: 'approve' })).status).toBe(409);
    expect((await phone.postForm(path, { csrf, decision: 'approve' })).status).toBe(200);
  });

  it('shows a code to type only when asked, with a new QR; the code outlives QR changes the page asks to keep it through', async () => {
    const { desktop, page } = await waitingPage();
    expect(page.typedCode).toBeUndefined();
    expect(page.html).toContain(`href="/interaction/${page.uid}?typed_code=1"`);
    const asked = await withTypedCode(desktop, page);
    expect(asked.html).toMatch(/<details class="typed" id="typed" open>/);
    expect(asked.qrUrl).not.toBe(page.qrUrl);
    // The QR shown before opens the request for a short grace (someone may have just scanned it).
    expect((await phone.get(new URL(page.qrUrl).pathname)).status).toBe(200);

    // The page's script asks through the rotation endpoint: `keep` while a code is shown (a
    // person may be typing it), `new` for a new one; without the flag a new QR drops the code.
    const rotate = (query: string) =>
      desktop.postJson(`/interaction/${page.uid}/qr${query}`, { 'X-CSRF-Token': page.csrf }).then((r) => JSON.parse(r.text) as { typedCode?: string });
    expect((await rotate('?typed_code=keep')).typedCode).toBeUndefined();
    const csrf = field((await phone.get('/phone')).text, 'csrf');
    const rotated = await rotate('?typed_code=new');
    expect(rotated.typedCode).toMatch(/^[A-Z]{4}-[A-Z]{4}$/);
    expect(rotated.typedCode).not.toBe(asked.typedCode);
    expect((await rotate('')).typedCode).toBeUndefined();
    for (const code of [asked.typedCode, rotated.typedCode as string]) {
      const typed = await phone.postForm('/code', { csrf, code });
      expect(typed.status).toBe(400);
      // Back to the form, with the error beside the field and what was typed still in it.
      expect(typed.text).toMatch(/id="code-error" role="alert">That code is not valid/);
      expect(typed.text).toContain(`value="${code}"`);
    }
  });

  it('approves through the typed code, once', async () => {
    const { desktop, page: shown } = await waitingPage();
    const page = await withTypedCode(desktop, shown);
    const csrf = field((await phone.get('/phone')).text, 'csrf');
    const claimed = await phone.postForm('/code', { csrf, code: page.typedCode.toLowerCase() });
    expect(claimed.status).toBe(200);
    expect(claimed.text).toContain('Test RP');
    expect((await statusOf(desktop, page.uid)).state).toBe('scanned');
    const action = /action="(\/approvals\/[^"]+)"/.exec(claimed.text)?.[1] as string;
    expect((await phone.postForm(action, { csrf, decision: 'approve' })).status).toBe(200);
    expect((await statusOf(desktop, page.uid)).state).toBe('approved');
    expect((await phone.postForm('/code', { csrf, code: page.typedCode })).status).toBe(409);
    expect((await phone.postForm(action, { csrf, decision: 'approve' })).status).toBe(409);
    expect((await phone.postForm('/code', { csrf, code: 'BCDF-GHJK' })).status).toBe(400);
  });

  it('tells the browser about a denial and completes nothing', async () => {
    const { desktop, page } = await waitingPage();
    const denied = await answerQr(phone, page.qrUrl, 'deny');
    expect(denied.text).toContain('Denied');
    expect((await statusOf(desktop, page.uid)).state).toBe('denied');
    const complete = await desktop.postForm(`/interaction/${page.uid}/complete`, { csrf: page.csrf });
    expect(complete.status).toBe(409);
  });

  it('answers protocol errors the protocol way', async () => {
    const browser = new BrowserClient(qrid.issuer);
    const good = new URL(await new RelyingParty(rp).authorizationUrl());

    const unknownClient = new URL(good);
    unknownClient.searchParams.set('client_id', 'nobody');
    const a = await browser.get(unknownClient.href);
    expect(a.status).toBe(400);
    expect(a.location).toBeUndefined();
    expect(a.text).toContain('invalid_client');

    for (const redirect of [`${RP_REDIRECT}/extra`, `${RP_REDIRECT}?x=1`, RP_REDIRECT.toUpperCase(), 'https://evil.example/cb']) {
      const wrong = new URL(good);
      wrong.searchParams.set('redirect_uri', redirect);
      const b = await browser.get(wrong.href);
      expect(b.status, redirect).toBe(400);
      expect(b.location).toBeUndefined();
      expect(b.text).toContain('redirect_uri');
    }

    const noPkce = new URL(good);
    noPkce.searchParams.delete('code_challenge');
    noPkce.searchParams.delete('code_challenge_method');
    const c = await browser.get(noPkce.href);
    expect(c.status).toBe(303);
    const error = new URL(c.location as string);
    expect(error.origin + error.pathname).toBe(RP_REDIRECT);
    expect(error.searchParams.get('error')).toBe('invalid_request');
    expect(error.searchParams.get('error_description')).toMatch(/PKCE|code_challenge/);

    const plain = new URL(good);
    plain.searchParams.set('code_challenge_method', 'plain');
    const d = await browser.get(plain.href);
    expect(new URL(d.location as string).searchParams.get('error')).toBe('invalid_request');

    const implicit = new URL(good);
    implicit.searchParams.set('response_type', 'token');
    const e = await browser.get(implicit.href);
    // response_type=token answers in the fragment, as that response type would have.
    const fragment = new URLSearchParams(new URL(e.location as string).hash.slice(1));
    expect(fragment.get('error')).toBe('unsupported_response_type');
    expect(fragment.get('iss')).toBe(qrid.issuer);
    expect(CONFIDENTIAL.id).toBe('test-rp');
  });
});
