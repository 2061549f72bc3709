import { randomBytes } from 'node:crypto';

import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { BrowserClient, field } from '../support/browser-client.js';
import { enrolledPhone, withTypedCode } from '../support/phone.js';
import { RelyingParty } from '../support/relying-party.js';
import { openQrPage } from '../support/sign-in.js';
import { type RunningQrid, startQrid } from '../support/start-qrid.js';

/**
 * Security suite, item 21 (see SECURITY.md): one passkey-policy decision for every way of
 * approving. Under `passkeys.policy: required` no channel lets a device approve without a
 * passkey assertion: not the phone's QR page, not the typed code, not a companion's device key
 * (a key in a file proves no person). Nothing is bound to the device and nothing is used up.
 */
describe('security: passkeys.policy holds on every channel', () => {
  let qrid: RunningQrid;
  let rp: RelyingParty;

  beforeAll(async () => {
    qrid = await startQrid({ passkeys: { policy: 'required' } });
    await enrolledPhone(qrid, { username: 'root' });
    rp = await RelyingParty.discover(qrid.issuer);
  });
  afterAll(async () => {
    await qrid.close();
  });

  const status = async (desktop: BrowserClient, uid: string) =>
    JSON.parse((await desktop.get(`/interaction/${uid}/status`, { Accept: 'application/json' })).text) as { state: string };

  it('[21] a companion device key cannot inspect, approve or deny-then-approve under policy required', async () => {
    const user = await qrid.qrid.services.users.create({ username: 'keyholder' });
    const { token } = await qrid.qrid.services.enrollments.create('invite', user.id);
    const { publicKey, privateKey } = await generateKeyPair('ES256', { extractable: true });
    const enrolled = await fetch(`${qrid.issuer}/api/companion/enroll`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ token, device_name: 'terminal', public_key: await exportJWK(publicKey) }),
    });
    expect(enrolled.status).toBe(201);
    const { device_id: deviceId } = (await enrolled.json()) as { device_id: string };

    const desktop = new BrowserClient(qrid.issuer);
    const waiting = await openQrPage(desktop, new RelyingParty(rp));
    const handle = new URL(waiting.qrUrl).pathname.split('/')[2] as string;
    const send = async (action: string) => {
      const jws = await new SignJWT({ handle, action, nonce: randomBytes(16).toString('base64url') })
        .setProtectedHeader({ alg: 'ES256', kid: deviceId, typ: 'qrid-approval+jwt' })
        .setIssuedAt()
        .setAudience(qrid.issuer)
        .sign(privateKey);
      return fetch(`${qrid.issuer}/api/companion/approvals`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ jws }) });
    };
    for (const action of ['inspect', 'approve']) {
      const refused = await send(action);
      expect(refused.status, action).toBe(403);
      expect(await refused.json()).toMatchObject({ error: 'passkey_required' });
    }
    expect(await status(desktop, waiting.uid)).toMatchObject({ state: 'waiting' });
  });

  it('[21] a phone without a passkey cannot claim a request by typed code, and the code stays usable', async () => {
    const { phone } = await enrolledPhone(qrid, { username: 'typist' });
    const desktop = new BrowserClient(qrid.issuer);
    const waiting = await withTypedCode(desktop, await openQrPage(desktop, new RelyingParty(rp)));
    const csrf = field((await phone.get('/phone')).text, 'csrf');
    const typed = await phone.postForm('/code', { csrf, code: waiting.typedCode });
    expect(typed.status).toBe(403);
    expect(typed.text).toContain('needs a passkey');
    expect(await status(desktop, waiting.uid)).toMatchObject({ state: 'waiting' });
    // Nothing was used up: the scan report is refused too, and the request still waits for a device that may answer.
    const scan = await phone.postJson(`${new URL(waiting.qrUrl).pathname}/scan`, { 'X-CSRF-Token': csrf });
    expect(scan.status).toBe(403);
    expect(await status(desktop, waiting.uid)).toMatchObject({ state: 'waiting' });
  });
});
