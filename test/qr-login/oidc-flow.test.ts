import { createRemoteJWKSet, jwtVerify } from 'jose';
import * as oidc from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { BrowserClient, field } from '../support/browser-client.js';
import { answerQr, enrolledPhone, readQrPage } from '../support/phone.js';
import { RelyingParty } from '../support/relying-party.js';
import { CONFIDENTIAL, FIRST_PARTY, RP_LOGOUT_REDIRECT, RP_REDIRECT, type RunningQrid, startQrid } from '../support/start-qrid.js';

/**
 * The whole QR sign-in with real parts: openid-client as the relying party, oidc-provider
 * inside qrid, a desktop browser and an enrolled phone (each with its own cookie jar).
 */
describe('QR sign-in through a real OIDC client', () => {
  let qrid: RunningQrid;
  let phone: BrowserClient;
  let userId: string;

  beforeAll(async () => {
    qrid = await startQrid();
    ({ phone, userId } = await enrolledPhone(qrid));
  });
  afterAll(async () => {
    await qrid.close();
  });

  async function signIn(rp: RelyingParty, desktop: BrowserClient, extra: Record<string, string> = {}) {
    const toQr = await desktop.follow(await desktop.get(await rp.authorizationUrl(extra)));
    expect(toQr.status, toQr.text).toBe(200);
    const waiting = readQrPage(toQr);
    expect(waiting.qrUrl).toMatch(new RegExp(`^${qrid.issuer}/q/${waiting.uid}\\.[A-Za-z0-9_-]{22}$`));

    const decided = await answerQr(phone, waiting.qrUrl);
    expect(decided.status).toBe(200);
    expect(decided.text).toContain('Approved');

    const status = await desktop.get(`/interaction/${waiting.uid}/status?state=waiting`, { Accept: 'application/json' });
    expect(JSON.parse(status.text)).toEqual({ state: 'approved' });

    const completed = await desktop.postForm(`/interaction/${waiting.uid}/complete`, { csrf: waiting.csrf });
    expect(completed.status).toBe(303);
    let landed = await desktop.follow(completed);
    if (landed.status === 200 && landed.text.includes('/consent')) {
      const uid = /action="\/interaction\/([^/]+)\/consent"/.exec(landed.text)?.[1] as string;
      const consent = await desktop.postForm(`/interaction/${uid}/consent`, { csrf: field(landed.text, 'csrf'), decision: 'allow' });
      expect(consent.status).toBe(303);
      landed = await desktop.follow(consent);
    }
    expect(landed.status).toBe(303);
    expect(landed.location).toMatch(new RegExp(`^${RP_REDIRECT}\\?`));
    return { callback: landed.location as string, uid: waiting.uid };
  }

  it('signs a browser in: code → tokens → verified ID token → userinfo', async () => {
    const rp = await RelyingParty.discover(qrid.issuer);
    const desktop = new BrowserClient(qrid.issuer);
    const started = Math.floor(Date.now() / 1000);
    const { callback } = await signIn(rp, desktop);

    const params = new URL(callback).searchParams;
    expect(params.get('iss')).toBe(qrid.issuer);
    expect(params.get('state')).toBe(rp.state);

    const tokens = await rp.redeem(callback);
    expect(tokens.token_type.toLowerCase()).toBe('bearer');
    const jwks = createRemoteJWKSet(new URL(`${qrid.issuer}/jwks`));
    const { payload, protectedHeader } = await jwtVerify(tokens.id_token as string, jwks, {
      issuer: qrid.issuer,
      audience: CONFIDENTIAL.id,
    });
    expect(protectedHeader.alg).toBe('RS256');
    expect(payload.sub).toBe(userId);
    expect(payload.nonce).toBe(rp.nonce);
    expect(payload.auth_time).toBeGreaterThanOrEqual(started - 1);
    expect(payload.auth_time).toBeLessThanOrEqual(Math.floor(Date.now() / 1000) + 1);
    expect(payload, JSON.stringify(payload)).toHaveProperty("amr", ["mca"]);
    expect(payload.acr).toBe('urn:qrid:acr:device');

    const userinfo = await oidc.fetchUserInfo(rp.config, tokens.access_token, userId);
    expect(userinfo).toMatchObject({ sub: userId, name: 'Alice Example', preferred_username: 'alice', email: 'alice@example.com' });

    const introspection = await oidc.tokenIntrospection(rp.config, tokens.access_token);
    expect(introspection.active).toBe(true);
    await oidc.tokenRevocation(rp.config, tokens.access_token);
    expect((await oidc.tokenIntrospection(rp.config, tokens.access_token)).active).toBe(false);
  });

  it('skips consent for first-party clients (public client, PKCE only)', async () => {
    const rp = await RelyingParty.discover(qrid.issuer, FIRST_PARTY.id, null);
    const desktop = new BrowserClient(qrid.issuer);
    const toQr = await desktop.follow(await desktop.get(await rp.authorizationUrl()));
    const waiting = readQrPage(toQr);
    await answerQr(phone, waiting.qrUrl);
    const landed = await desktop.follow(await desktop.postForm(`/interaction/${waiting.uid}/complete`, { csrf: waiting.csrf }));
    expect(landed.location).toMatch(new RegExp(`^${RP_REDIRECT}\\?code=`));
    const tokens = await rp.redeem(landed.location as string);
    expect(tokens.claims()?.sub).toBe(userId);
  });

  it('issues rotating refresh tokens only with offline_access', async () => {
    const rp = await RelyingParty.discover(qrid.issuer);
    const desktop = new BrowserClient(qrid.issuer);
    const { callback } = await signIn(rp, desktop, { scope: 'openid offline_access', prompt: 'consent' });
    const tokens = await rp.redeem(callback);
    expect(tokens.refresh_token).toBeTruthy();
    const refreshed = await oidc.refreshTokenGrant(rp.config, tokens.refresh_token as string);
    expect(refreshed.refresh_token).toBeTruthy();
    expect(refreshed.refresh_token).not.toBe(tokens.refresh_token);
    // The rotated-out token is spent; replaying it revokes the grant, so the new one dies too.
    await expect(oidc.refreshTokenGrant(rp.config, tokens.refresh_token as string)).rejects.toMatchObject({ error: 'invalid_grant' });
    await expect(oidc.refreshTokenGrant(rp.config, refreshed.refresh_token as string)).rejects.toMatchObject({ error: 'invalid_grant' });

    const plain = await RelyingParty.discover(qrid.issuer);
    const { callback: second } = await signIn(plain, new BrowserClient(qrid.issuer));
    expect((await plain.redeem(second)).refresh_token).toBeUndefined();
  });

  it('ends the session with RP-initiated logout on qrid’s own pages', async () => {
    const rp = await RelyingParty.discover(qrid.issuer);
    const desktop = new BrowserClient(qrid.issuer);
    const tokens = await rp.redeem((await signIn(rp, desktop)).callback);

    // Signed in: prompt=none succeeds without any QR.
    const silent = new RelyingParty(rp);
    const silentOk = await desktop.follow(await desktop.get(await silent.authorizationUrl({ prompt: 'none' })));
    expect(silentOk.location).toMatch(/[?&]code=/);

    // Without an id_token_hint qrid asks first (with one it need not: test/relying-parties/logout.test.ts).
    expect(tokens.id_token).toBeTruthy();
    const logoutUrl = oidc.buildEndSessionUrl(rp.config, { client_id: CONFIDENTIAL.id, post_logout_redirect_uri: RP_LOGOUT_REDIRECT });
    const confirm = await desktop.get(logoutUrl.href);
    expect(confirm.status).toBe(200);
    expect(confirm.text).toContain('Sign out of Test RP?');
    const action = /<form id="op.logoutForm" method="post" action="([^"]+)"/.exec(confirm.text)?.[1] as string;
    const done = await desktop.follow(await desktop.postForm(action, { xsrf: field(confirm.text, 'xsrf'), logout: 'yes' }));
    expect(done.location).toMatch(new RegExp(`^${RP_LOGOUT_REDIRECT}`));

    const after = await desktop.follow(await desktop.get(await new RelyingParty(rp).authorizationUrl({ prompt: 'none' })));
    expect(after.location).toMatch(/[?&]error=login_required/);
  });
});
