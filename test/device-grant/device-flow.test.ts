import * as oidc from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { TYPED_CODE_ALPHABET } from '../../src/security/tokens.js';
import { BackchannelReceiver } from '../support/backchannel.js';
import { BrowserClient, field } from '../support/browser-client.js';
import { answerVerification, openVerification } from '../support/device-grant.js';
import { answerQr, enrolledPhone, readQrPage } from '../support/phone.js';
import { type RunningQrid, startQrid } from '../support/start-qrid.js';

const GRANT = 'urn:ietf:params:oauth:grant-type:device_code';
const TV_UA = 'Mozilla/5.0 (SMART-TV; Linux; Tizen 7.0) AppleWebKit/537.36 (KHTML, like Gecko) SamsungBrowser/5.0 TV Safari/537.36';

/**
 * The device authorization grant (RFC 8628) with openid-client as the TV: `interval`,
 * `slow_down`, pending, approved on the enrolled phone (by the verification link and by the
 * typed user code), denied, expired, the device code used twice; the login on the phone's
 * sessions list, ended there with back-channel logout.
 */
describe('device grant', () => {
  const receiver = new BackchannelReceiver();
  let qrid: RunningQrid;
  let phone: BrowserClient;
  let userId: string;
  let tv: oidc.Configuration;

  beforeAll(async () => {
    await receiver.start();
    qrid = await startQrid({
      polling: { interval_seconds: 1 },
      ttl: { device_code: 15 },
      outgoing: { allow_private_hosts: ['127.0.0.1'] },
      clients: [{ client_id: 'tv-app', client_name: 'Living-room TV app', device_grant: true, first_party: true, backchannel_logout_uri: receiver.url }],
    });
    ({ phone, userId } = await enrolledPhone(qrid));
    tv = await oidc.discovery(new URL(qrid.issuer), 'tv-app', undefined, oidc.None(), {
      execute: [oidc.allowInsecureRequests],
      // What the phone is shown as "asking" is the TV's own user agent.
      [oidc.customFetch]: (url, options) => {
        const headers = new Headers(options.headers as HeadersInit);
        headers.set('user-agent', TV_UA);
        return fetch(url, { ...(options as RequestInit), headers });
      },
    });
  });
  afterAll(async () => {
    await qrid.close();
    await receiver.stop();
  });

  const poll = (deviceCode: string) => oidc.genericGrantRequest(tv, GRANT, { device_code: deviceCode });
  const start = () => oidc.initiateDeviceAuthorization(tv, { scope: 'openid profile offline_access' });

  it('is listed in discovery and answers with interval, a user code in the typed-code alphabet and the verification links', async () => {
    const discovery = (await (await fetch(`${qrid.issuer}/.well-known/openid-configuration`)).json()) as Record<string, unknown>;
    expect(discovery.device_authorization_endpoint).toBe(`${qrid.issuer}/device/auth`);
    expect(discovery.grant_types_supported).toContain(GRANT);
    const started = await start();
    expect(started.interval).toBe(1);
    expect(started.user_code).toMatch(new RegExp(`^[${TYPED_CODE_ALPHABET}]{4}-[${TYPED_CODE_ALPHABET}]{4}$`));
    expect(started.verification_uri).toBe(`${qrid.issuer}/device`);
    expect(started.verification_uri_complete).toBe(`${qrid.issuer}/device?user_code=${started.user_code}`);
    expect(started.expires_in).toBeLessThanOrEqual(15);
  });

  it('says authorization_pending, and slow_down (5 seconds more) to a device polling too fast', async () => {
    const { device_code: code } = await start();
    await expect(poll(code)).rejects.toMatchObject({ error: 'authorization_pending' });
    await expect(poll(code)).rejects.toMatchObject({ error: 'slow_down' });
    await expect(poll(code)).rejects.toMatchObject({ error: 'slow_down' });
    // Now 11 seconds apart at least (1 + 5 + 5); a poll after 1 second is still too soon.
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    await expect(poll(code)).rejects.toMatchObject({ error: 'slow_down' });
  });

  it('signs the TV in once the phone approves its verification link; the device code works once', async () => {
    const started = await start();
    const screen = await openVerification(phone, started.verification_uri_complete as string);
    expect(screen.text).toContain('Living-room TV app');
    expect(screen.text).toContain('id="device-warning"');
    expect(screen.text).toContain('Samsung'); // the TV's own browser, not the phone's
    const done = await answerVerification(phone, screen);
    expect(done.text).toContain('Living-room TV app is signed in on your device');

    const tokens = await oidc.pollDeviceAuthorizationGrant(tv, started);
    expect(tokens.claims()).toMatchObject({ sub: userId, acr: 'urn:qrid:acr:device', amr: ['mca'] });
    expect(tokens.refresh_token).toBeTruthy();
    await expect(poll(started.device_code)).rejects.toMatchObject({ error: 'invalid_grant' });
  });

  it('takes the user code typed on the phone in the same field as a typed code', async () => {
    const started = await start();
    const home = await phone.get('/phone');
    const typed = await phone.postForm('/code', { csrf: field(home.text, 'csrf'), code: started.user_code.toLowerCase() });
    expect(typed.status).toBe(303);
    expect(typed.location).toBe(`${qrid.issuer}/device?user_code=${started.user_code}`);
    const screen = await openVerification(phone, typed.location as string);
    await answerVerification(phone, screen);
    expect((await oidc.pollDeviceAuthorizationGrant(tv, started)).claims()?.sub).toBe(userId);
  });

  it('works from a computer too: the code typed at /device there shows a QR, which the phone scans', async () => {
    const started = await start();
    const computer = new BrowserClient(qrid.issuer);
    const form = await computer.get('/device');
    expect(form.text).toContain('id="device-warning"');
    const confirm = await computer.follow(await computer.postForm('/device', { xsrf: field(form.text, 'xsrf'), user_code: started.user_code }));
    const qrPage = await computer.follow(
      await computer.postForm('/device', { xsrf: field(confirm.text, 'xsrf'), user_code: field(confirm.text, 'user_code'), confirm: 'yes' }),
    );
    const waiting = readQrPage(qrPage);
    const approval = await phone.get(new URL(waiting.qrUrl).pathname);
    expect(approval.text).toContain('id="device-warning"');
    expect(approval.text).toContain('Samsung');
    await answerQr(phone, waiting.qrUrl);
    const done = await computer.follow(await computer.postForm(`/interaction/${waiting.uid}/complete`, { csrf: waiting.csrf }));
    expect(done.text).toContain('is signed in on your device');
    expect((await oidc.pollDeviceAuthorizationGrant(tv, started)).claims()?.amr).toEqual(['mca']);
  });

  it('tells a person who sent no code that the code does not work (oidc-provider\'s NoCodeError, by name)', async () => {
    const computer = new BrowserClient(qrid.issuer);
    const form = await computer.get('/device');
    const empty = await computer.postForm('/device', { xsrf: field(form.text, 'xsrf'), user_code: '' });
    expect(empty.status).toBe(400);
    expect(empty.text).toContain('This code does not work');
  });

  it('tells the TV access_denied when the phone denies', async () => {
    const started = await start();
    const denied = await answerVerification(phone, await openVerification(phone, started.verification_uri_complete as string), 'deny');
    // oidc-provider's AbortedError, told apart by name (device-pages.ts).
    expect(denied.text).toContain('The sign-in was cancelled');
    await expect(poll(started.device_code)).rejects.toMatchObject({ error: 'access_denied' });
  });

  it('answers expired_token once the device code has run out', async () => {
    const started = await start();
    await new Promise((resolve) => setTimeout(resolve, (started.expires_in + 1) * 1000));
    await expect(poll(started.device_code)).rejects.toMatchObject({ error: 'expired_token' });
    const url = new URL(started.verification_uri_complete as string);
    const late = await phone.follow(await phone.get(url.pathname + url.search));
    expect(late.status).toBe(400);
    expect(late.text).toContain('This code does not work');
  }, 40_000);

  it('lists the TV on the phone as a session; ending it there sends back-channel logout and ends its tokens', async () => {
    const started = await start();
    await answerVerification(phone, await openVerification(phone, started.verification_uri_complete as string));
    const tokens = await oidc.pollDeviceAuthorizationGrant(tv, started);
    const home = await phone.get('/phone');
    const uid = [...home.text.matchAll(/data-session="([^"]+)"/g)].map((m) => m[1] as string).at(-1) as string;
    expect(home.text).toContain('Living-room TV app');
    const ended = await phone.postForm(`/phone/sessions/${uid}/end`, { csrf: field(home.text, 'csrf') });
    expect(ended.status).toBe(303);
    await expect.poll(() => receiver.tokens.length, { timeout: 20_000 }).toBeGreaterThan(0);
    await expect(oidc.refreshTokenGrant(tv, tokens.refresh_token as string)).rejects.toMatchObject({ error: 'invalid_grant' });
  });
});
