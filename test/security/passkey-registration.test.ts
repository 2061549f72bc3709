import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { BrowserClient, field } from '../support/browser-client.js';
import { enrolledPhone, PHONE_UA } from '../support/phone.js';
import { type RunningQrid, startQrid } from '../support/start-qrid.js';

/**
 * Security suite, item 16 (see SECURITY.md): a copied device cookie can never add a passkey,
 * and so never raise the assurance its approvals claim. A first passkey can be added only in
 * the enrollment's setup window, which a separate one-time cookie proves; another passkey only
 * with an assertion of one the device has. (The genuine flows run in Chromium with a virtual
 * authenticator: test/browser/passkey.browser.test.ts.)
 */
describe('security: a copied device cookie cannot add a passkey', () => {
  let qrid: RunningQrid;

  beforeAll(async () => {
    qrid = await startQrid();
    await enrolledPhone(qrid, { username: 'root' });
  });
  afterAll(async () => {
    await qrid.close();
  });

  /** A second browser holding only a copy of the phone's device cookie. */
  const thiefOf = (phone: BrowserClient) => {
    const thief = new BrowserClient(qrid.issuer, PHONE_UA);
    thief.cookies.set('qrid_device', phone.cookies.get('qrid_device')!);
    return thief;
  };
  const asks = async (client: BrowserClient, body: unknown = {}) => {
    const csrf = field((await client.get('/phone')).text, 'csrf');
    return client.request('POST', '/phone/passkeys/options', JSON.stringify(body), {
      'Content-Type': 'application/json', Accept: 'application/json', 'X-CSRF-Token': csrf, Origin: qrid.issuer, 'Sec-Fetch-Site': 'same-origin',
    });
  };
  const registers = async (client: BrowserClient) => {
    const csrf = field((await client.get('/phone')).text, 'csrf');
    return client.request('POST', '/phone/passkeys', JSON.stringify({ response: { id: 'x', rawId: 'x', type: 'public-key', response: {} } }), {
      'Content-Type': 'application/json', Accept: 'application/json', 'X-CSRF-Token': csrf, Origin: qrid.issuer, 'Sec-Fetch-Site': 'same-origin',
    });
  };

  it('[16] the copied cookie gets no registration options and cannot register, while the enrolled browser, in its setup window, can start', async () => {
    const { phone } = await enrolledPhone(qrid, { username: 'victim' });
    expect(phone.cookies.has('qrid_passkey_setup')).toBe(true);
    const thief = thiefOf(phone);

    const refused = await asks(thief);
    expect(refused.status).toBe(403);
    expect(JSON.parse(refused.text)).toMatchObject({ error: 'passkey_setup_closed' });
    const forced = await registers(thief);
    expect(forced.status).toBe(403);
    expect(JSON.parse(forced.text)).toMatchObject({ error: 'passkey_setup_closed' });

    // The enrolled browser gets options (a challenge bound to this device) within the window.
    const genuine = await asks(phone);
    expect(genuine.status, genuine.text).toBe(200);
    expect(JSON.parse(genuine.text)).toHaveProperty('challenge');
    expect((await phone.get('/phone')).text).toContain('id="add-passkey"');
    expect((await thief.get('/phone')).text).toContain('id="passkey-setup-closed"');

    // Once the window is gone (its store record expired), not even the enrolled browser can.
    const device = await qrid.qrid.services.devices.authenticate(phone.cookies.get('qrid_device')?.value);
    await qrid.qrid.services.passkeySetup.close(device!.id);
    expect((await asks(phone)).status).toBe(403);
    expect(await qrid.qrid.services.passkeys.hasPasskey(device!.id)).toBe(false);
  });

  it('[16] a device that has a passkey adds another only with an assertion of it: the copied cookie cannot', async () => {
    const { phone, userId } = await enrolledPhone(qrid, { username: 'holder' });
    const device = await qrid.qrid.services.devices.authenticate(phone.cookies.get('qrid_device')?.value);
    // The device registered a passkey (the browser suite does this with a real authenticator).
    await qrid.store.putRecord('passkey:held-1', { id: 'held-1', publicKey: 'AA', counter: '0', transports: 'internal', deviceId: device!.id, userId, synced: '' });
    await qrid.store.addToIndex(`device-passkeys:${device!.id}`, 'held-1');
    const thief = thiefOf(phone);
    for (const client of [thief, phone]) {
      const bare = await asks(client);
      expect(bare.status).toBe(403);
      expect(JSON.parse(bare.text)).toMatchObject({ error: 'verification_required' });
      const junk = await asks(client, { assertion: { id: 'held-1', rawId: 'held-1', type: 'public-key', response: {} } });
      expect(junk.status).toBe(400);
    }
    expect(await qrid.qrid.services.store.indexMembers(`device-passkeys:${device!.id}`)).toEqual(['held-1']);
  });
});
