import { beforeAll, describe, expect, it } from 'vitest';

import { BrowserClient } from '../support/browser-client.js';
import { answerQr } from '../support/phone.js';
import { RelyingParty } from '../support/relying-party.js';
import { completeToCallback, openQrPage, signIn } from '../support/sign-in.js';
import { withSignedInPhone } from '../support/signed-in-phone.js';
import type { RunningQrid } from '../support/start-qrid.js';

/**
 * The completion route reads its interaction and approval together (one store read); these
 * are the interaction checks it must still make, each after a real phone approval.
 */
describe('completion of an approved login', () => {
  const fixture = withSignedInPhone();
  let qrid: RunningQrid;
  let phone: BrowserClient;
  let rp: RelyingParty;
  beforeAll(() => void ({ qrid, phone, rp } = fixture));

  const interactionKey = (uid: string) => `oidc:Interaction:${uid}`;

  it('finishes the interaction with the approving account and sends the browser back to /auth', async () => {
    const desktop = new BrowserClient(qrid.issuer);
    const waiting = await openQrPage(desktop, new RelyingParty(rp));
    await answerQr(phone, waiting.qrUrl);
    const done = await desktop.postForm(`/interaction/${waiting.uid}/complete`, { csrf: waiting.csrf });
    expect(done.status).toBe(303);
    expect(done.location).toContain(`/auth/${waiting.uid}`);
    const stored = await qrid.qrid.services.store.getRecord(interactionKey(waiting.uid));
    expect(JSON.parse(stored?.payload ?? '{}').result.login.accountId).toBeTruthy();
  });

  it('refuses an interaction whose record has expired, and stores no result', async () => {
    const desktop = new BrowserClient(qrid.issuer);
    const waiting = await openQrPage(desktop, new RelyingParty(rp));
    await answerQr(phone, waiting.qrUrl);
    const { store } = qrid.qrid.services;
    const record = (await store.getRecord(interactionKey(waiting.uid))) as { payload: string };
    const payload = JSON.parse(record.payload) as { exp: number };
    payload.exp = Math.floor(Date.now() / 1000) - 120; // what oidc-provider's own expiry check refuses
    await store.putRecord(interactionKey(waiting.uid), { payload: JSON.stringify(payload) }, 60);

    const done = await desktop.postForm(`/interaction/${waiting.uid}/complete`, { csrf: waiting.csrf });
    expect(done.status).toBe(400);
    expect(done.text).toContain('Sign-in expired');
    expect(done.location).toBeUndefined();
    const after = await store.getRecord(interactionKey(waiting.uid));
    expect(JSON.parse(after?.payload ?? '{}').result).toBeUndefined();
  });

  it('refuses an interaction whose browser session ended while the phone was approving', async () => {
    const desktop = new BrowserClient(qrid.issuer);
    await signIn(desktop, phone, new RelyingParty(rp));
    const waiting = await openQrPage(desktop, new RelyingParty(rp), { prompt: 'login' });
    const { provider } = qrid.qrid.services;
    const session = await provider.Session.find(desktop.cookies.get('qrid_session')?.value as string);
    expect(session?.uid).toBeTruthy();
    await answerQr(phone, waiting.qrUrl);
    await session?.destroy();

    const done = await desktop.postForm(`/interaction/${waiting.uid}/complete`, { csrf: waiting.csrf });
    expect(done.status).toBe(400);
    expect(done.text).toContain('Sign-in expired');
    expect(done.location).toBeUndefined();
  });

  it('completes an interaction bound to a live session of the same account', async () => {
    const desktop = new BrowserClient(qrid.issuer);
    await signIn(desktop, phone, new RelyingParty(rp));
    const again = new RelyingParty(rp);
    const waiting = await openQrPage(desktop, again, { prompt: 'login' });
    await answerQr(phone, waiting.qrUrl);
    const callback = await completeToCallback(desktop, waiting);
    expect(callback.location).toContain('code=');
    expect((await again.redeem(callback.location as string)).id_token).toBeTruthy();
  });
});
