import { createHash } from 'node:crypto';

import * as oidc from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { adminConsole } from '../support/admin-console.js';
import { BrowserClient, field, type Page } from '../support/browser-client.js';
import { answerQr, enrolledPhone, withTypedCode } from '../support/phone.js';
import { RelyingParty } from '../support/relying-party.js';
import { openQrPage, signIn } from '../support/sign-in.js';
import { RP_REDIRECT, type RunningQrid, startQrid } from '../support/start-qrid.js';

/** Security suite, items 9, 12 and 13 (see SECURITY.md). */
describe('security: requests, protocol, headers', () => {
  let qrid: RunningQrid;
  let phone: BrowserClient;
  let rp: RelyingParty;

  beforeAll(async () => {
    qrid = await startQrid();
    ({ phone } = await enrolledPhone(qrid)); // the first user: an administrator
    rp = await RelyingParty.discover(qrid.issuer);
  });
  afterAll(async () => {
    await qrid.close();
  });

  it('[09] every state-changing POST needs a valid token and a same-origin request; cross-site gets 403', async () => {
    const desktop = new BrowserClient(qrid.issuer);
    const waiting = await withTypedCode(desktop, await openQrPage(desktop, new RelyingParty(rp)));
    const home = await phone.get('/phone');
    const deviceCsrf = field(home.text, 'csrf');
    const deviceId = /data-device="([^"]+)"/.exec(home.text)?.[1] as string;
    const admin = await adminConsole(qrid, phone);
    const adminCsrf = field(admin.page.text, 'csrf');
    const user = await qrid.qrid.services.users.create({ username: 'target' });
    const { token } = await qrid.qrid.services.enrollments.create('invite', user.id);
    const enrollCsrf = field((await new BrowserClient(qrid.issuer).get(`/enroll/${token}`)).text, 'csrf');
    const handlePath = new URL(waiting.qrUrl).pathname;

    type Target = { client: BrowserClient; path: string; token: string; header?: boolean; form?: Record<string, string> };
    const targets: Target[] = [
      { client: phone, path: handlePath, token: deviceCsrf, form: { decision: 'approve' } },
      { client: phone, path: `${handlePath}/scan`, token: deviceCsrf, header: true },
      { client: phone, path: `${handlePath}/passkey-options`, token: deviceCsrf, header: true },
      { client: phone, path: '/code', token: deviceCsrf, form: { code: waiting.typedCode } },
      { client: phone, path: '/phone/sessions/end-all', token: deviceCsrf },
      { client: phone, path: `/phone/devices/${deviceId}/remove`, token: deviceCsrf },
      { client: phone, path: `/phone/devices/${deviceId}/name`, token: deviceCsrf, form: { name: 'pwned' } },
      { client: phone, path: '/phone/passkeys/options', token: deviceCsrf, header: true },
      { client: phone, path: '/phone/link/options', token: deviceCsrf, header: true },
      { client: phone, path: '/phone/link', token: deviceCsrf, form: { assertion: '{}' } },
      { client: admin.desktop, path: '/admin/users', token: adminCsrf, form: { username: 'created-by-csrf' } },
      { client: admin.desktop, path: `/admin/users/${user.id}/disable`, token: adminCsrf, form: { confirm: 'yes' } },
      { client: admin.desktop, path: '/admin/logout', token: adminCsrf },
      { client: new BrowserClient(qrid.issuer), path: `/enroll/${token}`, token: enrollCsrf, form: { device_name: 'x' } },
      { client: desktop, path: `/interaction/${waiting.uid}/complete`, token: waiting.csrf },
      { client: desktop, path: `/interaction/${waiting.uid}/abort`, token: waiting.csrf },
      { client: desktop, path: `/interaction/${waiting.uid}/consent`, token: waiting.csrf, form: { decision: 'allow' } },
      { client: desktop, path: `/interaction/${waiting.uid}/qr`, token: waiting.csrf, header: true },
    ];
    const send = (t: Target, tokenValue: string | undefined, crossSite: boolean): Promise<Page> => {
      const site: Record<string, string> = crossSite ? { Origin: 'https://evil.example', 'Sec-Fetch-Site': 'cross-site' } : {};
      if (t.header) return t.client.postJson(t.path, { ...(tokenValue ? { 'X-CSRF-Token': tokenValue } : {}), ...site });
      return t.client.postForm(t.path, { ...(t.form ?? {}), ...(tokenValue ? { csrf: tokenValue } : {}) }, site);
    };
    for (const t of targets) {
      expect((await send(t, undefined, false)).status, `${t.path} without a token`).toBe(403);
      expect((await send(t, 'A'.repeat(43), false)).status, `${t.path} with a forged token`).toBe(403);
      expect((await send(t, t.token, true)).status, `${t.path} cross-site`).toBe(403);
    }
    // Nothing happened: the login still waits, the device still exists, no user was created.
    expect(JSON.parse((await desktop.get(`/interaction/${waiting.uid}/status`, { Accept: 'application/json' })).text)).toMatchObject({ state: 'waiting' });
    expect((await phone.get('/phone')).text).toContain(`data-device="${deviceId}"`);
    expect(await qrid.qrid.services.users.findByUsername('created-by-csrf')).toBeUndefined();
    expect((await qrid.qrid.services.users.find(user.id))?.disabled).toBe(false);
    expect((await qrid.qrid.services.enrollments.peek(token)).userId).toBe(user.id);
  });

  it('[12] authorization-server negatives: redirect_uri variants, PKCE, response types, code and refresh replay, iss, 303s', async () => {
    const browser = new BrowserClient(qrid.issuer);
    const good = new URL(await new RelyingParty(rp).authorizationUrl());
    for (const redirect of [`${RP_REDIRECT}/extra`, `${RP_REDIRECT}?x=1`, RP_REDIRECT.replace('callback', 'CALLBACK'), 'http://RP.test/callback/', 'https://evil.example/cb', `${RP_REDIRECT}#frag`]) {
      const bad = new URL(good);
      bad.searchParams.set('redirect_uri', redirect);
      const page = await browser.get(bad.href);
      expect(page.status, redirect).toBe(400);
      expect(page.location, redirect).toBeUndefined();
    }
    const errorFrom = async (mutate: (u: URL) => void) => {
      const url = new URL(good);
      mutate(url);
      const page = await browser.get(url.href);
      expect(page.status).toBe(303);
      const to = new URL(page.location as string);
      const params = to.search ? to.searchParams : new URLSearchParams(to.hash.slice(1));
      expect(params.get('iss')).toBe(qrid.issuer);
      return params.get('error');
    };
    expect(await errorFrom((u) => { u.searchParams.delete('code_challenge'); u.searchParams.delete('code_challenge_method'); })).toBe('invalid_request');
    expect(await errorFrom((u) => u.searchParams.set('code_challenge_method', 'plain'))).toBe('invalid_request');
    expect(await errorFrom((u) => u.searchParams.set('response_type', 'token'))).toBe('unsupported_response_type');
    expect(await errorFrom((u) => u.searchParams.set('response_type', 'code id_token'))).toBe('unsupported_response_type');

    // Success: 303 at every post-login step, iss on the authorization response.
    const attempt = new RelyingParty(rp);
    const desktop = new BrowserClient(qrid.issuer);
    const waiting = await openQrPage(desktop, attempt);
    await answerQr(phone, waiting.qrUrl);
    const completed = await desktop.postForm(`/interaction/${waiting.uid}/complete`, { csrf: waiting.csrf });
    expect(completed.status).toBe(303);
    let page = await desktop.get(completed.location as string);
    expect(page.status).toBe(303);
    page = await desktop.get(page.location as string);
    const consent = await desktop.postForm(`/interaction/${/action="\/interaction\/([^/]+)\/consent"/.exec(page.text)?.[1]}/consent`, { csrf: field(page.text, 'csrf'), decision: 'allow' });
    expect(consent.status).toBe(303);
    const final = await desktop.get(consent.location as string);
    expect(final.status).toBe(303);
    const callback = new URL(final.location as string);
    expect(callback.searchParams.get('iss')).toBe(qrid.issuer);

    // A wrong PKCE verifier is refused; the right one works once; a replayed code revokes its tokens.
    const wrongVerifier = new RelyingParty(rp);
    wrongVerifier.state = attempt.state;
    wrongVerifier.nonce = attempt.nonce;
    await expect(wrongVerifier.redeem(callback.href)).rejects.toMatchObject({ error: 'invalid_grant' });
    const second = new RelyingParty(rp);
    const callback2 = await signIn(new BrowserClient(qrid.issuer), phone, second, { scope: 'openid offline_access', prompt: 'consent' });
    const tokens = await second.redeem(callback2);
    await expect(second.redeem(callback2)).rejects.toMatchObject({ error: 'invalid_grant' });
    expect((await oidc.tokenIntrospection(second.config, tokens.access_token)).active).toBe(false);
    await expect(oidc.fetchUserInfo(second.config, tokens.access_token, oidc.skipSubjectCheck)).rejects.toMatchObject({ status: 401 });
    await expect(oidc.refreshTokenGrant(second.config, tokens.refresh_token as string)).rejects.toMatchObject({ error: 'invalid_grant' });

    // Refresh token replay after rotation revokes the grant.
    const third = new RelyingParty(rp);
    const t3 = await third.redeem(await signIn(new BrowserClient(qrid.issuer), phone, third, { scope: 'openid offline_access', prompt: 'consent' }));
    const rotated = await oidc.refreshTokenGrant(third.config, t3.refresh_token as string);
    await expect(oidc.refreshTokenGrant(third.config, t3.refresh_token as string)).rejects.toMatchObject({ error: 'invalid_grant' });
    await expect(oidc.refreshTokenGrant(third.config, rotated.refresh_token as string)).rejects.toMatchObject({ error: 'invalid_grant' });
    expect((await oidc.tokenIntrospection(third.config, rotated.access_token)).active).toBe(false);
  });

  it('[13] every qrid page carries the security headers; cookies are HttpOnly and SameSite, Secure and prefixed behind TLS', async () => {
    const desktop = new BrowserClient(qrid.issuer);
    const waiting = await openQrPage(desktop, new RelyingParty(rp));
    const user = await qrid.qrid.services.users.create({ username: 'headers' });
    const { token } = await qrid.qrid.services.enrollments.create('invite', user.id);
    const pages: Array<[string, Page]> = [
      ['phone approval', await phone.get(new URL(waiting.qrUrl).pathname)],
      ['phone home', await phone.get('/phone')],
      ['not signed in', await new BrowserClient(qrid.issuer).get('/phone')],
      ['enrollment', await new BrowserClient(qrid.issuer).get(`/enroll/${token}`)],
      ['logout', await desktop.get('/session/end')],
      ['error', await new BrowserClient(qrid.issuer).get('/q/nope')],
      ['not found', await new BrowserClient(qrid.issuer).get('/nothing-here')],
      ['provider error', await new BrowserClient(qrid.issuer).get('/auth?client_id=nope')],
      ['admin', (await adminConsole(qrid, phone)).page],
      ['admin sign-in', await new BrowserClient(qrid.issuer).get('/admin')],
      ['status', await desktop.get(`/interaction/${waiting.uid}/status`, { Accept: 'application/json' })],
    ];
    const fresh = await openQrPage(desktop, new RelyingParty(rp));
    pages.push(['QR page', await desktop.get(`/interaction/${fresh.uid}`)]);
    // prompt=consent: this phone's user allowed the app before, and qrid remembers it.
    const current = await openQrPage(desktop, new RelyingParty(rp), { prompt: 'consent' });
    await answerQr(phone, current.qrUrl);
    const toConsent = await desktop.follow(await desktop.postForm(`/interaction/${current.uid}/complete`, { csrf: current.csrf }));
    expect(toConsent.text).toContain('wants to sign you in');
    pages.push(['consent', toConsent]);
    for (const [name, page] of pages) {
      const h = page.headers;
      const csp = h.get('content-security-policy') ?? '';
      expect(csp, name).toContain("frame-ancestors 'none'");
      expect(/script-src[^;]*'unsafe-inline'/.test(csp), name).toBe(false);
      expect(csp, name).toContain("default-src 'none'");
      expect(h.get('x-frame-options'), name).toBe('DENY');
      expect(h.get('referrer-policy'), name).toBe('no-referrer');
      expect(h.get('cache-control'), name).toContain('no-store');
      expect(h.get('x-content-type-options'), name).toBe('nosniff');
      // No inline script runs unless the CSP names its exact hash (oidc-provider's auto-submit forms).
      for (const [, body] of page.text.matchAll(/<script(?![^>]*\bsrc=)[^>]*>([\s\S]*?)<\/script>/g)) {
        expect(csp, `${name}: inline script without its hash in the CSP`).toContain(`'sha256-${createHash('sha256').update(body as string).digest('base64')}'`);
      }
      expect(page.text, name).not.toMatch(/\sstyle="|<style/);
      // No third-party resources (a link the person may follow back to the app is not one).
      expect(page.text, name).not.toMatch(/<(?:script|img|link|iframe|source|video|audio|object|embed)\b[^>]*\b(?:src|href)="https?:\/\/(?!localhost)/);
    }

    // Cookies over plain HTTP (development): HttpOnly and SameSite everywhere.
    const cookies = await collectCookies(qrid.issuer, {}, qrid);
    expect(cookies.length).toBeGreaterThan(3);
    for (const cookie of cookies) {
      expect(cookie, cookie).toMatch(/;\s*httponly/i);
      expect(cookie, cookie).toMatch(/;\s*samesite=(lax|strict)/i);
    }

    // Behind TLS (issuer https, proxy trusted): Secure, and __Host-/__Secure- names.
    const tls = await startQrid({ issuer: `https://localhost:${qrid.port + 1}`, proxy: true });
    try {
      const secure = await collectCookies(`http://localhost:${tls.port}`, { 'X-Forwarded-Proto': 'https' }, tls);
      const names = secure.map((c) => c.split('=')[0] as string);
      expect(names).toEqual(expect.arrayContaining(['__Host-qrid_session', '__Host-qrid_device', '__Secure-qrid_interaction']));
      for (const cookie of secure) {
        expect(cookie, cookie).toMatch(/;\s*secure/i);
        expect(cookie, cookie).toMatch(/;\s*httponly/i);
        expect(cookie, cookie).toMatch(/^__(Host|Secure)-/);
        if (cookie.startsWith('__Host-')) {
          expect(cookie, cookie).toMatch(/;\s*path=\/(;|$)/i);
          expect(cookie, cookie).not.toMatch(/domain=/i);
        }
      }
    } finally {
      await tls.close();
    }
  });
});

/** Signs in once through `base` and returns every Set-Cookie header seen. */
async function collectCookies(base: string, headers: Record<string, string>, instance: RunningQrid): Promise<string[]> {
  const seen: string[] = [];
  const jar = new Map<string, string>();
  const issuer = instance.config.issuer;
  const request = async (method: string, path: string, body?: string, extra: Record<string, string> = {}) => {
    const url = new URL(path, base);
    const response = await fetch(url, {
      method,
      body,
      redirect: 'manual',
      headers: {
        ...headers,
        ...extra,
        Cookie: [...jar].map(([n, v]) => `${n}=${v}`).join('; '),
        ...(body ? { 'Content-Type': 'application/x-www-form-urlencoded', Origin: new URL(issuer).origin, 'Sec-Fetch-Site': 'same-origin' } : {}),
      },
    });
    for (const line of response.headers.getSetCookie()) {
      seen.push(line);
      const [pair = ''] = line.split(';');
      const eq = pair.indexOf('=');
      jar.set(pair.slice(0, eq), pair.slice(eq + 1));
    }
    return { response, text: await response.text() };
  };
  const services = instance.qrid.services;
  // An enrollment (the device cookie) and a whole sign-in, through the raw HTTP exchange.
  const empty = (await services.users.count()) === 0;
  const user = empty ? undefined : await services.users.create({ username: `cookies-${Date.now()}` });
  const { token } = await services.enrollments.create(empty ? 'setup' : 'invite', user?.id ?? '');
  const enroll = await request('GET', `/enroll/${token}`);
  if (!enroll.text.includes('csrf')) throw new Error(`enroll page ${enroll.response.status} ${enroll.text.slice(0, 900)}`);
  const enrolled = await request('POST', `/enroll/${token}`, new URLSearchParams({ csrf: field(enroll.text, 'csrf'), username: 'tls', device_name: 'p' }).toString());
  if (enrolled.response.status !== 303) throw new Error(`enrollment failed: ${enrolled.response.status} ${enrolled.text.slice(0, 1200)}`);
  const auth = new URL('/auth', base);
  auth.search = new URLSearchParams({
    client_id: 'first-party-spa',
    response_type: 'code',
    scope: 'openid',
    redirect_uri: RP_REDIRECT,
    code_challenge: await oidc.calculatePKCECodeChallenge(oidc.randomPKCECodeVerifier()),
    code_challenge_method: 'S256',
    state: 's',
  }).toString();
  let step = await request('GET', auth.pathname + auth.search);
  let location = step.response.headers.get('location');
  while (location && !location.startsWith(RP_REDIRECT)) {
    step = await request('GET', new URL(location, base).pathname);
    location = step.response.headers.get('location');
  }
  const uid = /data-uid="([^"]+)"/.exec(step.text)?.[1] as string;
  const qrUrl = /id="qr"[^>]*data-qr-url="([^"]+)"/.exec(step.text)?.[1] as string;
  const qrPath = new URL(qrUrl).pathname;
  const approval = await request('GET', qrPath);
  if (!approval.text.includes('csrf')) throw new Error(`approval page ${approval.response.status} ${approval.text.slice(0, 900)} ${step.text.slice(0, 300)}`);
  const csrf = field(approval.text, 'csrf');
  await request('POST', qrPath, new URLSearchParams({ csrf, decision: 'approve' }).toString());
  step = await request('POST', `/interaction/${uid}/complete`, new URLSearchParams({ csrf: field(step.text, 'csrf') }).toString());
  location = step.response.headers.get('location');
  while (location && !location.startsWith(RP_REDIRECT)) {
    step = await request('GET', new URL(location, base).pathname);
    location = step.response.headers.get('location');
  }
  return seen;
}
