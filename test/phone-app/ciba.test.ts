import * as oidc from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { type BrowserClient, field } from '../support/browser-client.js';
import { enrolledPhone } from '../support/phone.js';
import { cookieHeader, openEvents } from '../support/sse.js';
import { type RunningQrid, startQrid } from '../support/start-qrid.js';

const SECRET = 'ciba-client-secret-that-is-long-enough-0123456789';

/**
 * CIBA (poll mode) with openid-client as the app: the request reaches the named user's inbox
 * on the phone with its binding message, the phone approves or denies with the same screen and
 * decide use case as a QR, and the app gets the tokens (or access_denied) by polling; unknown
 * users, bad binding messages, expiry and the per-user limit are refused as the spec says. The
 * sign-in is listed on the phone and can be ended there.
 */
describe('CIBA (poll)', () => {
  let qrid: RunningQrid;
  let phone: BrowserClient;
  let userId: string;
  let app: oidc.Configuration;

  beforeAll(async () => {
    qrid = await startQrid({
      polling: { interval_seconds: 1 },
      rate_limits: { ciba_per_account: 8 },
      clients: [
        { client_id: 'ciba-app', client_secret: SECRET, client_name: 'Payments', ciba: 'poll', refresh_tokens: true },
        { client_id: 'other-app', client_secret: SECRET, client_name: 'Other', ciba: 'poll' },
      ],
    });
    ({ phone, userId } = await enrolledPhone(qrid));
    app = await oidc.discovery(new URL(qrid.issuer), 'ciba-app', SECRET, oidc.ClientSecretBasic(SECRET), { execute: [oidc.allowInsecureRequests] });
  });
  afterAll(async () => {
    await qrid.close();
  });

  const ask = (extra: Record<string, string> = {}) =>
    oidc.initiateBackchannelAuthentication(app, { scope: 'openid profile offline_access', login_hint: 'alice', binding_message: 'Order 4711', ...extra });
  const poll = (authReqId: string) => oidc.genericGrantRequest(app, 'urn:openid:params:grant-type:ciba', { auth_req_id: authReqId });

  async function answer(id: string, decision: 'approve' | 'deny') {
    const inbox = await phone.get('/phone');
    expect(inbox.text).toContain(`data-request="${id}"`);
    const screen = await phone.get(`/phone/inbox/${id}`);
    expect(screen.status, screen.text.slice(0, 500)).toBe(200);
    expect(screen.text).toContain('Order 4711');
    return phone.postForm(`/phone/inbox/${id}`, { csrf: field(screen.text, 'csrf'), decision });
  }

  it('is in discovery, and answers with an auth_req_id, its lifetime and an interval', async () => {
    const discovery = (await (await fetch(`${qrid.issuer}/.well-known/openid-configuration`)).json()) as Record<string, unknown>;
    expect(discovery.backchannel_authentication_endpoint).toBe(`${qrid.issuer}/backchannel`);
    expect(discovery.backchannel_token_delivery_modes_supported).toEqual(['poll', 'ping']);
    const started = await ask();
    expect(started.interval).toBe(1);
    expect(started.expires_in).toBeGreaterThan(0);
    await expect(poll(started.auth_req_id)).rejects.toMatchObject({ error: 'authorization_pending' });
    await expect(poll(started.auth_req_id)).rejects.toMatchObject({ error: 'slow_down' });
  });

  it('reaches the phone with its binding message; approving gives the app its tokens, once', async () => {
    const started = await ask();
    const decided = await answer(started.auth_req_id, 'approve');
    expect(decided.text).toContain('Approved');
    const tokens = await oidc.pollBackchannelAuthenticationGrant(app, { ...started, interval: 1 });
    expect(tokens.claims()).toMatchObject({ sub: userId, aud: 'ciba-app', acr: 'urn:qrid:acr:device', amr: ['mca'] });
    const refreshed = await oidc.refreshTokenGrant(app, tokens.refresh_token as string);
    expect(refreshed.access_token).toBeTruthy();

    // Listed on the phone as a direct request; signing it out there ends the app's tokens.
    const home = await phone.get('/phone');
    expect(home.text).toContain('a direct request from the app&#39;s server (CIBA)');
    const uid = /data-session="(grant:[^"]+)"/.exec(home.text)?.[1] as string;
    expect(uid).toBeTruthy();
    expect((await phone.postForm(`/phone/sessions/${uid}/end`, { csrf: field(home.text, 'csrf') })).status).toBe(303);
    await expect(oidc.refreshTokenGrant(app, refreshed.refresh_token as string)).rejects.toMatchObject({ error: 'invalid_grant' });
    // The auth_req_id worked once.
    await expect(poll(started.auth_req_id)).rejects.toMatchObject({ error: 'invalid_grant' });
  });

  it('tells an open /phone page that its inbox changed', async () => {
    const events = await openEvents(`${qrid.issuer}/phone/inbox/events`, { Cookie: cookieHeader(phone.cookies, '/phone/inbox/events') });
    expect(events.status).toBe(200);
    const started = await ask();
    expect((await events.next())?.event).toBe('changed');
    const listed = await phone.get('/phone/inbox', { Accept: 'application/json', 'X-CSRF-Token': field((await phone.get('/phone')).text, 'csrf') });
    expect(JSON.parse(listed.text).requests).toEqual(expect.arrayContaining([expect.objectContaining({ id: started.auth_req_id, app: 'Payments', bindingMessage: 'Order 4711' })]));
    events.close();
  });

  it('tells the app access_denied when the phone denies', async () => {
    const started = await ask();
    await answer(started.auth_req_id, 'deny');
    await expect(poll(started.auth_req_id)).rejects.toMatchObject({ error: 'access_denied', error_description: 'End-User denied the request' });
  });

  it('refuses an unknown user, a binding message one cannot compare, and another user\'s phone', async () => {
    await expect(ask({ login_hint: 'nobody' })).rejects.toMatchObject({ error: 'unknown_user_id' });
    await expect(ask({ binding_message: '<script>'.repeat(10) })).rejects.toMatchObject({ error: 'invalid_binding_message' });
    const started = await ask();
    const { phone: bobsPhone } = await enrolledPhone(qrid, { username: 'bob' });
    expect((await bobsPhone.get('/phone')).text).not.toContain(started.auth_req_id);
    expect((await bobsPhone.get(`/phone/inbox/${started.auth_req_id}`)).status).toBe(410);
  });

  it('finds the user by an email an administrator set', async () => {
    const started = await ask({ login_hint: 'alice@example.com' });
    await answer(started.auth_req_id, 'approve');
    expect((await oidc.pollBackchannelAuthenticationGrant(app, { ...started, interval: 1 })).claims()?.sub).toBe(userId);
  });

  it('answers expired_token once the request has run out', async () => {
    const started = await ask({ requested_expiry: '2' });
    await new Promise((resolve) => setTimeout(resolve, 3_500));
    await expect(poll(started.auth_req_id)).rejects.toMatchObject({ error: 'expired_token' });
  });

  it('limits the requests for one user, whatever app asks', async () => {
    const other = await oidc.discovery(new URL(qrid.issuer), 'other-app', SECRET, oidc.ClientSecretBasic(SECRET), { execute: [oidc.allowInsecureRequests] });
    const errors: string[] = [];
    for (let i = 0; i < 10; i += 1) {
      await oidc.initiateBackchannelAuthentication(other, { scope: 'openid', login_hint: 'bob' }).catch((e: { error?: string; error_description?: string }) => errors.push(`${e.error}: ${e.error_description}`));
    }
    expect(errors.length).toBeGreaterThan(0);
    expect(errors[0]).toContain('too many backchannel authentication requests for this user');
  });
});
