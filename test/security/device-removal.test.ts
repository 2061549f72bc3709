import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { removeDevice } from '../../src/accounts/remove-device.js';
import { BrowserClient, field } from '../support/browser-client.js';
import { answerQr, enrolledPhone } from '../support/phone.js';
import { RelyingParty } from '../support/relying-party.js';
import { openQrPage } from '../support/sign-in.js';
import { FIRST_PARTY, type RunningQrid, startQrid } from '../support/start-qrid.js';

/**
 * Security suite, item 19 (see SECURITY.md): removing a device voids the approvals it already
 * made. The browser that device approved cannot complete its sign-in afterwards, and a removal
 * that lands while the browser is between completing and resuming ends the session that resume
 * starts: "Remove ends every session that device approved" holds without a window.
 */
describe('security: a removed device\'s approvals are void', () => {
  let qrid: RunningQrid;
  let rp: RelyingParty;

  beforeAll(async () => {
    qrid = await startQrid();
    await enrolledPhone(qrid, { username: 'root' });
    rp = await RelyingParty.discover(qrid.issuer, FIRST_PARTY.id, null);
  });
  afterAll(async () => {
    await qrid.close();
  });

  const deviceOf = async (phone: BrowserClient) => (await qrid.qrid.services.devices.authenticate(phone.cookies.get('qrid_device')?.value))!;

  it('[19] a phone that approves and then removes itself leaves the browser unable to complete', async () => {
    const { phone, userId } = await enrolledPhone(qrid, { username: 'remover' });
    const device = await deviceOf(phone);
    const desktop = new BrowserClient(qrid.issuer);
    const waiting = await openQrPage(desktop, new RelyingParty(rp));
    expect((await answerQr(phone, waiting.qrUrl)).status).toBe(200);

    const home = await phone.get('/phone');
    expect((await phone.postForm(`/phone/devices/${device.id}/remove`, { csrf: field(home.text, 'csrf'), confirm: 'yes' })).status).toBe(303);

    const completed = await desktop.postForm(`/interaction/${waiting.uid}/complete`, { csrf: waiting.csrf });
    expect(completed.status).toBe(409);
    expect(completed.text).toContain('was removed');
    expect(completed.headers.get('location')).toBeNull();
    expect(await qrid.qrid.services.sessions.ofAccount(userId)).toEqual([]);
  });

  it('[19] a removal between completion and resume ends the session the resume starts, and its code is worthless', async () => {
    const { phone, userId } = await enrolledPhone(qrid, { username: 'racer' });
    const device = await deviceOf(phone);
    const desktop = new BrowserClient(qrid.issuer);
    const own = new RelyingParty(rp);
    const waiting = await openQrPage(desktop, own);
    expect((await answerQr(phone, waiting.qrUrl)).status).toBe(200);
    const completed = await desktop.postForm(`/interaction/${waiting.uid}/complete`, { csrf: waiting.csrf });
    expect(completed.status).toBe(303);

    await removeDevice(qrid.qrid.services, device);

    const callback = await desktop.follow(completed);
    expect(callback.location).toMatch(/[?&]code=/);
    await expect(own.redeem(callback.location as string)).rejects.toThrow();
    expect(await qrid.qrid.services.sessions.ofAccount(userId)).toEqual([]);
    // The browser holds no live qrid session: a new authorization shows a QR again.
    const again = await desktop.follow(await desktop.get(await new RelyingParty(rp).authorizationUrl()));
    expect(again.text).toContain('id="qr"');
  });
});
