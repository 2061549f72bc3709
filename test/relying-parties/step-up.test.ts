import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { BrowserClient, field } from '../support/browser-client.js';
import { enrolledPhone, readQrPage, withTypedCode } from '../support/phone.js';
import { RelyingParty } from '../support/relying-party.js';
import { openQrPage, signIn } from '../support/sign-in.js';
import { RP_REDIRECT, type RunningQrid, startQrid } from '../support/start-qrid.js';

const PASSKEY = 'urn:qrid:acr:passkey';
const DEVICE = 'urn:qrid:acr:device';

/**
 * Step-up (RFC 9470): an app that asks for `urn:qrid:acr:passkey` gets a login only from an
 * approval with a passkey, even from a browser already signed in with less; a device without a
 * passkey is told why and cannot approve. (The approval with a passkey, in Chromium with a
 * virtual authenticator: test/browser/passkey.browser.test.ts.)
 */
describe('step-up with acr_values', () => {
  let qrid: RunningQrid;
  let phone: BrowserClient;

  beforeAll(async () => {
    qrid = await startQrid();
    ({ phone } = await enrolledPhone(qrid));
  });
  afterAll(async () => {
    await qrid.close();
  });

  it('lists its authentication contexts in discovery', async () => {
    const discovery = (await (await fetch(`${qrid.issuer}/.well-known/openid-configuration`)).json()) as Record<string, unknown>;
    expect(discovery.acr_values_supported).toEqual([DEVICE, PASSKEY, 'urn:qrid:acr:device-key']);
    expect(discovery.claims_parameter_supported).toBe(true);
  });

  it('a device without a passkey is told why and cannot approve, by QR or typed code', async () => {
    const rp = await RelyingParty.discover(qrid.issuer);
    const desktop = new BrowserClient(qrid.issuer);
    const waiting = await openQrPage(desktop, rp, { acr_values: PASSKEY });
    const path = new URL(waiting.qrUrl).pathname;
    const opened = await phone.get(path);
    expect(opened.status).toBe(403);
    expect(opened.text).toContain('asks for an approval with a passkey, and this device has none');
    const csrf = field((await phone.get('/phone')).text, 'csrf');
    expect((await phone.postJson(`${path}/scan`, { 'X-CSRF-Token': csrf })).status).toBe(403);
    expect((await phone.postForm(path, { csrf, decision: 'approve' })).status).toBe(403);

    const { typedCode } = await withTypedCode(desktop, waiting);
    const typed = await phone.postForm('/code', { csrf, code: typedCode });
    expect(typed.status).toBe(403);
    expect(typed.text).toContain('asks for an approval with a passkey');
    const status = await desktop.get(`/interaction/${waiting.uid}/status`, { Accept: 'application/json' });
    expect(JSON.parse(status.text)).toMatchObject({ state: 'waiting' });
  });

  it('a weaker request is met as before, and the ID token says which requested context was met', async () => {
    const rp = await RelyingParty.discover(qrid.issuer);
    const tokens = await rp.redeem(await signIn(new BrowserClient(qrid.issuer), phone, rp, { acr_values: `urn:example:unknown ${DEVICE}` }));
    expect(tokens.claims()?.acr).toBe(DEVICE);
  });

  it('a browser signed in with less gets a new QR, not its session', async () => {
    const rp = await RelyingParty.discover(qrid.issuer);
    const desktop = new BrowserClient(qrid.issuer);
    await signIn(desktop, phone, rp);
    const silent = await desktop.follow(await desktop.get(await new RelyingParty(rp).authorizationUrl({ prompt: 'none' })));
    expect(silent.location).toMatch(/[?&]code=/);

    const stepUp = await desktop.follow(await desktop.get(await new RelyingParty(rp).authorizationUrl({ acr_values: PASSKEY })));
    expect(stepUp.status).toBe(200);
    expect(readQrPage(stepUp).qrUrl).toContain('/q/');
    const none = await desktop.follow(await desktop.get(await new RelyingParty(rp).authorizationUrl({ acr_values: PASSKEY, prompt: 'none' })));
    expect(new URL(none.location as string).searchParams.get('error')).toBe('login_required');
  });

  it('an essential acr qrid does not offer is refused to the app at once', async () => {
    const rp = await RelyingParty.discover(qrid.issuer);
    const desktop = new BrowserClient(qrid.issuer);
    const claims = JSON.stringify({ id_token: { acr: { essential: true, values: ['urn:example:gold'] } } });
    const back = await desktop.follow(await desktop.get(await rp.authorizationUrl({ claims })));
    const url = new URL(back.location as string);
    expect(`${url.origin}${url.pathname}`).toBe(RP_REDIRECT);
    expect(url.searchParams.get('error')).toBe('unmet_authentication_requirements');
  });

  it('an essential acr qrid offers is met like acr_values', async () => {
    const rp = await RelyingParty.discover(qrid.issuer);
    const claims = JSON.stringify({ id_token: { acr: { essential: true, values: [DEVICE] } } });
    const tokens = await rp.redeem(await signIn(new BrowserClient(qrid.issuer), phone, rp, { claims }));
    expect(tokens.claims()?.acr).toBe(DEVICE);
  });
});
