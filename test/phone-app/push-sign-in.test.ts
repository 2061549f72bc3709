import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { BrowserClient, field } from '../support/browser-client.js';
import { enrolledPhone, readQrPage } from '../support/phone.js';
import { RelyingParty } from '../support/relying-party.js';
import { completeToCallback, openQrPage } from '../support/sign-in.js';
import { type RunningQrid, startQrid } from '../support/start-qrid.js';

/**
 * "Send a notification to my phone instead": the request goes to the named user's inbox, and
 * approving ALWAYS needs the number the computer shows, typed on the phone; a wrong number
 * denies. Limited per account; an unknown name gets the same answer as a known one.
 */
describe('push sign-in', () => {
  let qrid: RunningQrid;
  let phone: BrowserClient;
  let userId: string;

  beforeAll(async () => {
    qrid = await startQrid({ push: { sign_in: true }, rate_limits: { push_sign_in_per_account: 3 } });
    ({ phone, userId } = await enrolledPhone(qrid));
  });
  afterAll(async () => {
    await qrid.close();
  });

  async function pushFrom(desktop: BrowserClient, username: string) {
    const waiting = await openQrPage(desktop, await RelyingParty.discover(qrid.issuer));
    expect(waiting.html).toContain('Send a notification to my phone instead');
    const sent = await desktop.postForm(`/interaction/${waiting.uid}/push`, { csrf: waiting.csrf, username });
    expect(sent.status).toBe(303);
    const page = await desktop.follow(sent);
    return { waiting: readQrPage(page), page };
  }

  /** The phone opens the request from its inbox, typing `number`. */
  async function answerFromInbox(id: string, number: string) {
    const screen = await phone.get(`/phone/inbox/${id}`);
    expect(screen.text).toContain('name="number" inputmode="numeric"');
    expect(screen.text).not.toContain('type="radio" name="number"');
    const csrf = field(screen.text, 'csrf');
    expect((await phone.postJson(`/phone/inbox/${id}/claim`, { 'X-CSRF-Token': csrf })).status).toBe(200);
    return phone.postForm(`/phone/inbox/${id}`, { csrf, decision: 'approve', number });
  }

  const shownNumber = async (desktop: BrowserClient, uid: string) => (JSON.parse((await desktop.get(`/interaction/${uid}/status`, { Accept: 'application/json' })).text) as { number?: number }).number;

  it('signs in only with the number the computer shows, typed on the phone; a wrong one denies', async () => {
    const desktop = new BrowserClient(qrid.issuer);
    const { waiting, page } = await pushFrom(desktop, 'alice');
    expect(page.text).toContain('If alice has a phone with notifications turned on');
    expect((await phone.get('/phone')).text).toContain(`data-request="${waiting.uid}"`);

    const number = await (async () => {
      const screen = await phone.get(`/phone/inbox/${waiting.uid}`);
      await phone.postJson(`/phone/inbox/${waiting.uid}/claim`, { 'X-CSRF-Token': field(screen.text, 'csrf') });
      return shownNumber(desktop, waiting.uid);
    })();
    expect(number).toBeGreaterThanOrEqual(10);
    const wrong = String(number === 99 ? 98 : (number as number) + 1);
    const denied = await answerFromInbox(waiting.uid, wrong);
    expect(denied.text).not.toContain('Approved');
    expect(JSON.parse((await desktop.get(`/interaction/${waiting.uid}/status`, { Accept: 'application/json' })).text)).toMatchObject({ state: 'denied' });

  });

  it('completes the sign-in when the typed number is right', async () => {
    const desktop = new BrowserClient(qrid.issuer);
    const { waiting } = await pushFrom(desktop, 'alice');
    const screen = await phone.get(`/phone/inbox/${waiting.uid}`);
    const csrf = field(screen.text, 'csrf');
    await phone.postJson(`/phone/inbox/${waiting.uid}/claim`, { 'X-CSRF-Token': csrf });
    const number = await shownNumber(desktop, waiting.uid);
    const approved = await phone.postForm(`/phone/inbox/${waiting.uid}`, { csrf, decision: 'approve', number: String(number) });
    expect(approved.text).toContain('Approved');
    const callback = await completeToCallback(desktop, waiting);
    expect(callback.location).toMatch(/[?&]code=/);
    expect(userId).toBeTruthy();
  });

  it('answers an unknown name like a known one, and limits the pushes per account', async () => {
    const unknown = await pushFrom(new BrowserClient(qrid.issuer), 'nobody');
    expect(unknown.page.text).toContain('If nobody has a phone with notifications turned on');
    let limited = 0;
    for (let i = 0; i < 4; i += 1) {
      const desktop = new BrowserClient(qrid.issuer);
      const waiting = await openQrPage(desktop, await RelyingParty.discover(qrid.issuer));
      const sent = await desktop.postForm(`/interaction/${waiting.uid}/push`, { csrf: waiting.csrf, username: 'carol' });
      if (sent.status === 429) limited += 1;
    }
    expect(limited).toBeGreaterThan(0);
  });
});
