import { createRemoteJWKSet, decodeJwt, jwtVerify } from 'jose';
import * as oidc from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { BackchannelReceiver } from '../support/backchannel.js';
import { BrowserClient, field } from '../support/browser-client.js';
import { answerQr, enrolledPhone, readQrPage } from '../support/phone.js';
import { RelyingParty } from '../support/relying-party.js';
import { CONFIDENTIAL, type RunningQrid, startQrid, TEST_RP_CLIENT } from '../support/start-qrid.js';

describe('sessions on the phone', () => {
  const receiver = new BackchannelReceiver();
  let qrid: RunningQrid;

  beforeAll(async () => {
    await receiver.start();
    qrid = await startQrid({
      outgoing: { allow_private_hosts: ['127.0.0.1'] },
      clients: [{ ...TEST_RP_CLIENT, backchannel_logout_uri: receiver.url }],
    });
  });
  afterAll(async () => {
    await qrid.close();
    await receiver.stop();
  });

  async function signIn(phone: BrowserClient, extra: Record<string, string> = {}) {
    const rp = await RelyingParty.discover(qrid.issuer);
    const desktop = new BrowserClient(qrid.issuer);
    const waiting = readQrPage(await desktop.follow(await desktop.get(await rp.authorizationUrl(extra))));
    expect((await answerQr(phone, waiting.qrUrl)).status).toBe(200);
    let page = await desktop.follow(await desktop.postForm(`/interaction/${waiting.uid}/complete`, { csrf: waiting.csrf }));
    const consentUid = /action="\/interaction\/([^/]+)\/consent"/.exec(page.text)?.[1];
    if (consentUid) page = await desktop.follow(await desktop.postForm(`/interaction/${consentUid}/consent`, { csrf: field(page.text, 'csrf'), decision: 'allow' }));
    const tokens = await rp.redeem(page.location as string);
    return { rp, desktop, tokens, sid: tokens.claims()?.sid as string };
  }

  async function silentResult(rp: RelyingParty, desktop: BrowserClient): Promise<string> {
    const page = await desktop.follow(await desktop.get(await new RelyingParty(rp).authorizationUrl({ prompt: 'none', scope: 'openid' })));
    return page.location ?? '';
  }

  const sessionUids = async (phone: BrowserClient) =>
    [...(await phone.get('/phone')).text.matchAll(/data-session="([^"]+)"/g)].map((m) => m[1] as string);

  it('ending a session from the phone sends back-channel logout, kills the refresh token and the session', async () => {
    const { phone, userId } = await enrolledPhone(qrid, { username: 'sam', name: 'Sam' });
    const { rp, desktop, tokens, sid } = await signIn(phone, { scope: 'openid offline_access', prompt: 'consent' });
    expect(tokens.refresh_token).toBeTruthy();
    expect(await silentResult(rp, desktop)).toMatch(/code=/);

    const home = await phone.get('/phone');
    expect(home.text).toContain('Test RP');
    expect(home.text).toContain('approved by Test phone');
    const [uid] = await sessionUids(phone);
    expect(uid).toBeTruthy();
    const ended = await phone.postForm(`/phone/sessions/${uid}/end`, { csrf: field(home.text, 'csrf') });
    expect(ended.status).toBe(303);

    expect(receiver.tokens).toHaveLength(1);
    const { payload } = await jwtVerify(receiver.tokens[0] as string, createRemoteJWKSet(new URL(`${qrid.issuer}/jwks`)), {
      issuer: qrid.issuer,
      audience: CONFIDENTIAL.id,
      typ: 'logout+jwt',
    });
    expect(payload.sub).toBe(userId);
    expect(payload.sid).toBe(sid);
    expect(payload.events).toEqual({ 'http://schemas.openid.net/event/backchannel-logout': {} });
    expect(payload.nonce).toBeUndefined();

    await expect(oidc.refreshTokenGrant(rp.config, tokens.refresh_token as string)).rejects.toMatchObject({ error: 'invalid_grant' });
    expect((await oidc.tokenIntrospection(rp.config, tokens.access_token)).active).toBe(false);
    expect(await silentResult(rp, desktop)).toMatch(/error=login_required/);
    expect(await sessionUids(phone)).toEqual([]);
  });

  it('removing a device ends the sessions it approved and no others', async () => {
    const first = await enrolledPhone(qrid, { username: 'dana', name: 'Dana' });
    const second = await enrolledPhone(qrid, { username: 'dana' });
    const byFirst = await signIn(first.phone);
    const bySecond = await signIn(second.phone);
    const other = await enrolledPhone(qrid, { username: 'eve', name: 'Eve' });
    const byOtherUser = await signIn(other.phone);

    const home = await second.phone.get('/phone');
    expect((await sessionUids(second.phone)).length).toBe(2);
    const devices = [...home.text.matchAll(/data-device="([^"]+)"/g)].map((m) => m[1] as string);
    expect(devices).toHaveLength(2);
    const firstPhoneDevice = (await qrid.qrid.services.devices.authenticate(first.phone.cookies.get('qrid_device')?.value))!;
    expect(devices).toContain(firstPhoneDevice.id);
    // One tap only asks: nothing is removed until the confirming POST.
    const asked = await second.phone.postForm(`/phone/devices/${firstPhoneDevice.id}/remove`, { csrf: field(home.text, 'csrf') });
    expect(asked.status).toBe(200);
    expect(asked.text).toContain('Remove Test phone?');
    expect(asked.text).toContain('(1 browser)');
    expect(await qrid.qrid.services.devices.find(firstPhoneDevice.id)).toBeDefined();
    const removed = await second.phone.postForm(`/phone/devices/${firstPhoneDevice.id}/remove`, { csrf: field(asked.text, 'csrf'), confirm: 'yes' });
    expect(removed.status).toBe(303);

    expect(await silentResult(byFirst.rp, byFirst.desktop)).toMatch(/error=login_required/);
    expect(await silentResult(bySecond.rp, bySecond.desktop)).toMatch(/code=/);
    expect(await silentResult(byOtherUser.rp, byOtherUser.desktop)).toMatch(/code=/);
    // The removed device is signed out too.
    expect((await first.phone.get('/phone')).text).toContain('not signed in');
    expect((await sessionUids(second.phone)).length).toBe(1);
  });

  it('"This wasn\'t me" ends the session at once and reports it', async () => {
    const { phone } = await enrolledPhone(qrid, { username: 'noor', name: 'Noor' });
    const { rp, desktop } = await signIn(phone);
    const home = await phone.get('/phone');
    expect(home.text).toContain("This wasn't me");
    const uid = /action="\/phone\/sessions\/([^/]+)\/not-me"/.exec(home.text)?.[1] as string;
    const reported = await phone.postForm(`/phone/sessions/${uid}/not-me`, { csrf: field(home.text, 'csrf') });
    expect(reported.location).toContain('reported=1');
    expect(await silentResult(rp, desktop)).toMatch(/error=login_required/);
  });

  it('refuses to end another user’s session', async () => {
    const victim = await enrolledPhone(qrid, { username: 'vic', name: 'Vic' });
    await signIn(victim.phone);
    const [uid] = await sessionUids(victim.phone);
    const attacker = await enrolledPhone(qrid, { username: 'mal', name: 'Mal' });
    const csrf = field((await attacker.phone.get('/phone')).text, 'csrf');
    expect((await attacker.phone.postForm(`/phone/sessions/${uid}/end`, { csrf })).status).toBe(404);
    expect(await sessionUids(victim.phone)).toEqual([uid]);
  });

  it('honours prompt=login and max_age with a fresh approval, not the old one', async () => {
    const { phone } = await enrolledPhone(qrid, { username: 'fresh', name: 'Fresh' });
    const { rp, desktop, tokens } = await signIn(phone);
    const firstAuthTime = decodeJwt(tokens.id_token as string).auth_time as number;
    await new Promise((resolve) => setTimeout(resolve, 1100));
    for (const extra of [{ prompt: 'login' }, { max_age: '0' }] as Array<Record<string, string>>) {
      const again = new RelyingParty(rp);
      const page = await desktop.follow(await desktop.get(await again.authorizationUrl(extra)));
      expect(page.status).toBe(200); // the QR page again, not a silent code
      const waiting = readQrPage(page);
      await answerQr(phone, waiting.qrUrl);
      const done = await desktop.follow(await desktop.postForm(`/interaction/${waiting.uid}/complete`, { csrf: waiting.csrf }));
      const fresh = await again.redeem(done.location as string);
      expect(decodeJwt(fresh.id_token as string).auth_time as number).toBeGreaterThan(firstAuthTime);
    }
  });
});
