import { Writable } from 'node:stream';

import * as oidc from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { createLogger } from '../../src/logging/logger.js';
import { BrowserClient, field } from '../support/browser-client.js';
import { answerQr, enrolledPhone } from '../support/phone.js';
import { RelyingParty } from '../support/relying-party.js';
import { openQrPage, signIn } from '../support/sign-in.js';
import { CONFIDENTIAL, FIRST_PARTY, RP_LOGOUT_REDIRECT, RP_REDIRECT, type RunningQrid, startQrid, TEST_RP_CLIENT } from '../support/start-qrid.js';

const NO_REFRESH = { id: 'no-refresh-rp', secret: 'no-refresh-rp-secret-that-is-long-enough-0123456789' };

/**
 * When an app gets refresh tokens: with `offline_access` and prompt=consent (it outlives the
 * sign-in, and the consent page says so); a first-party app also without, bound to the qrid
 * session; never for a client with `refresh_tokens: false`. An `offline_access` that
 * oidc-provider drops (no prompt=consent) is named in the log.
 */
describe('refresh tokens', () => {
  let qrid: RunningQrid;
  let phone: BrowserClient;
  const lines: string[] = [];

  beforeAll(async () => {
    const sink = new Writable({
      write(chunk: Buffer, _e, done) {
        lines.push(...chunk.toString().split('\n').filter(Boolean));
        done();
      },
    });
    qrid = await startQrid(
      {
        clients: [
          TEST_RP_CLIENT,
          { client_id: FIRST_PARTY.id, client_name: 'First-party SPA', redirect_uris: [RP_REDIRECT], post_logout_redirect_uris: [RP_LOGOUT_REDIRECT], first_party: true },
          { client_id: NO_REFRESH.id, client_secret: NO_REFRESH.secret, client_name: 'No refresh', redirect_uris: [RP_REDIRECT], first_party: true, refresh_tokens: false },
        ],
      },
      { logger: createLogger('info', sink) },
    );
    ({ phone } = await enrolledPhone(qrid));
  });
  afterAll(async () => {
    await qrid.close();
  });

  async function signOut(desktop: BrowserClient, idToken: string): Promise<void> {
    const page = await desktop.get(`/session/end?${new URLSearchParams({ id_token_hint: idToken, post_logout_redirect_uri: RP_LOGOUT_REDIRECT })}`);
    const done = await desktop.postForm('/session/end/confirm', { xsrf: field(page.text, 'xsrf'), logout: 'yes' });
    expect(done.location).toMatch(new RegExp(`^${RP_LOGOUT_REDIRECT}`));
  }

  it('gives a first-party app a refresh token without offline_access, which ends with the qrid session', async () => {
    const rp = await RelyingParty.discover(qrid.issuer, FIRST_PARTY.id, null);
    const desktop = new BrowserClient(qrid.issuer);
    const tokens = await rp.redeem(await signIn(desktop, phone, rp, { scope: 'openid profile' }));
    expect(tokens.refresh_token).toBeTruthy();
    const refreshed = await oidc.refreshTokenGrant(rp.config, tokens.refresh_token as string);
    expect(refreshed.access_token).toBeTruthy();
    await signOut(desktop, tokens.id_token as string);
    await expect(oidc.refreshTokenGrant(rp.config, refreshed.refresh_token as string)).rejects.toMatchObject({ error: 'invalid_grant' });
  });

  it('gives any other app one only with offline_access and prompt=consent, says so on the consent page, and it outlives sign-out', async () => {
    const rp = await RelyingParty.discover(qrid.issuer);
    const plain = await rp.redeem(await signIn(new BrowserClient(qrid.issuer), phone, rp, { scope: 'openid' }));
    expect(plain.refresh_token).toBeUndefined();

    const offline = new RelyingParty(rp);
    const desktop = new BrowserClient(qrid.issuer);
    const waiting = await openQrPage(desktop, offline, { scope: 'openid offline_access', prompt: 'consent' });
    await answerQr(phone, waiting.qrUrl);
    const consent = await desktop.follow(await desktop.postForm(`/interaction/${waiting.uid}/complete`, { csrf: waiting.csrf }));
    expect(consent.text).toContain('id="refresh-note"');
    expect(consent.text).toContain('even once you sign out of qrid');
    const uid = /action="\/interaction\/([^/]+)\/consent"/.exec(consent.text)?.[1] as string;
    const back = await desktop.follow(await desktop.postForm(`/interaction/${uid}/consent`, { csrf: field(consent.text, 'csrf'), decision: 'allow' }));
    const tokens = await offline.redeem(back.location as string);
    expect(tokens.refresh_token).toBeTruthy();
    await signOut(desktop, tokens.id_token as string);
    expect((await oidc.refreshTokenGrant(rp.config, tokens.refresh_token as string)).access_token).toBeTruthy();
  });

  it('names the client in the log when oidc-provider drops offline_access for want of prompt=consent', async () => {
    const rp = await RelyingParty.discover(qrid.issuer);
    const tokens = await rp.redeem(await signIn(new BrowserClient(qrid.issuer), phone, rp, { scope: 'openid offline_access' }));
    expect(tokens.refresh_token).toBeUndefined();
    const notice = lines.map((l) => JSON.parse(l) as Record<string, unknown>).find((l) => l.event === 'offline_access.dropped');
    expect(notice).toMatchObject({ level: 40, clientId: CONFIDENTIAL.id });
    expect(String(notice?.msg)).toContain('prompt=consent');
  });

  it('never gives one to a client with refresh_tokens: false', async () => {
    const rp = await RelyingParty.discover(qrid.issuer, NO_REFRESH.id, NO_REFRESH.secret);
    const tokens = await rp.redeem(await signIn(new BrowserClient(qrid.issuer), phone, rp, { scope: 'openid offline_access', prompt: 'consent' }));
    expect(tokens.refresh_token).toBeUndefined();
  });
});
