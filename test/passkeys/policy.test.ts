import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { BrowserClient, field } from '../support/browser-client.js';
import { enrolledPhone, readQrPage } from '../support/phone.js';
import { RelyingParty } from '../support/relying-party.js';
import { type RunningQrid, startQrid } from '../support/start-qrid.js';

describe('passkey policy "required"', () => {
  let qrid: RunningQrid;

  beforeAll(async () => {
    qrid = await startQrid({ passkeys: { policy: 'required' } });
  });
  afterAll(async () => {
    await qrid.close();
  });

  it('never lets a device approve on its session alone', async () => {
    const { phone } = await enrolledPhone(qrid);
    const home = await phone.get('/phone');
    expect(home.text).toContain('Approving sign-ins needs a passkey on this device');
    const rp = await RelyingParty.discover(qrid.issuer);
    const desktop = new BrowserClient(qrid.issuer);
    const waiting = readQrPage(await desktop.follow(await desktop.get(await rp.authorizationUrl())));
    const path = new URL(waiting.qrUrl).pathname;
    const opened = await phone.get(path);
    expect(opened.status).toBe(403);
    expect(opened.text).toContain('needs a passkey');
    const forced = await phone.postForm(path, { csrf: field(home.text, 'csrf'), decision: 'approve' });
    expect(forced.status).toBe(403);
    const status = await desktop.get(`/interaction/${waiting.uid}/status`, { Accept: 'application/json' });
    expect(JSON.parse(status.text)).toMatchObject({ state: 'waiting' });
  });
});
