import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { HEARTBEAT_MS } from '../../src/interactions/stream-registry.js';
import { approvalKey } from '../../src/approvals/approval-storage.js';
import { BrowserClient, field } from '../support/browser-client.js';
import { answerQr, enrolledPhone, readQrPage, type WaitingPage } from '../support/phone.js';
import { RelyingParty } from '../support/relying-party.js';
import { cookieHeader, type EventReader, openEvents } from '../support/sse.js';
import { type RunningQrid, startQrid } from '../support/start-qrid.js';

/**
 * A new event stream's first event is the approval's current state, read from the store after
 * subscribing: a decision made before the stream opened arrives first, and nothing falls
 * between the read and the live events.
 */
describe('the event stream’s catch-up', () => {
  let qrid: RunningQrid;
  let phone: BrowserClient;
  let rp: RelyingParty;

  beforeAll(async () => {
    qrid = await startQrid();
    ({ phone } = await enrolledPhone(qrid));
    rp = await RelyingParty.discover(qrid.issuer);
  });
  afterAll(async () => {
    await qrid.close();
  });

  async function waitingPage(): Promise<{ desktop: BrowserClient; waiting: WaitingPage }> {
    const desktop = new BrowserClient(qrid.issuer);
    const waiting = readQrPage(await desktop.follow(await desktop.get(await rp.authorizationUrl())));
    return { desktop, waiting };
  }

  function stream(desktop: BrowserClient, waiting: WaitingPage, query = ''): Promise<EventReader> {
    const path = `/interaction/${waiting.uid}/events`;
    return openEvents(`${qrid.issuer}${path}${query}`, { Cookie: cookieHeader(desktop.cookies, path) });
  }

  const states = async (events: EventReader) => {
    const seen: string[] = [];
    for (let e = await events.next(); e; e = await events.next()) seen.push((JSON.parse(e.data) as { state: string }).state);
    return seen;
  };

  it('a decision made before the stream opened arrives first, and ends the stream', async () => {
    const { desktop, waiting } = await waitingPage();
    await answerQr(phone, waiting.qrUrl);
    const events = await stream(desktop, waiting);
    expect(events.status).toBe(200);
    expect(await states(events)).toEqual(['approved']);
  });

  it('an answer whose message was lost (Redis keeps nothing while a subscriber reconnects) still reaches the open stream, at the next keep-alive', async () => {
    const { desktop, waiting } = await waitingPage();
    const events = await stream(desktop, waiting);
    expect(JSON.parse((await events.next())?.data as string)).toMatchObject({ state: 'waiting' });
    const publish = qrid.store.publish;
    qrid.store.publish = async () => {}; // every message of the phone's answer is lost
    try {
      await answerQr(phone, waiting.qrUrl);
    } finally {
      qrid.store.publish = publish;
    }
    const next = await events.next(HEARTBEAT_MS * 3);
    expect(JSON.parse(next?.data as string)).toMatchObject({ state: 'approved' });
    expect(await events.next()).toBeUndefined();
  }, HEARTBEAT_MS * 4);

  it('a keep-alive read that a message overtook does not take the page back a step', async () => {
    const { desktop, waiting } = await waitingPage();
    const events = await stream(desktop, waiting);
    expect(JSON.parse((await events.next())?.data as string)).toMatchObject({ state: 'waiting' });
    // The keep-alive's read of the approval is taken ("waiting") and its answer held back.
    const getRecords = qrid.store.getRecords;
    let release = () => {};
    const held = new Promise<void>((taken) => {
      qrid.store.getRecords = async (keys) => {
        if (!keys.includes(approvalKey(waiting.uid))) return getRecords.call(qrid.store, keys);
        qrid.store.getRecords = getRecords; // only this one read
        const stale = await getRecords.call(qrid.store, keys);
        taken();
        await new Promise<void>((resolve) => (release = resolve));
        return stale;
      };
    });
    await held;
    // Meanwhile the phone scans: its message overtakes the read.
    const path = new URL(waiting.qrUrl).pathname;
    const csrf = field((await phone.get(path)).text, 'csrf');
    expect((await phone.postJson(`${path}/scan`, { 'X-CSRF-Token': csrf })).status).toBe(200);
    expect(JSON.parse((await events.next())?.data as string)).toMatchObject({ state: 'scanned' });
    release();
    // The stale "waiting" is dropped: the next event is the approval.
    expect((await phone.postForm(path, { csrf, decision: 'approve' })).status).toBe(200);
    expect(await states(events)).toEqual(['approved']);
  }, HEARTBEAT_MS * 4);

  it('nothing happened since the page: the current state first, then the phone’s answer as it comes', async () => {
    const { desktop, waiting } = await waitingPage();
    const events = await stream(desktop, waiting);
    expect(JSON.parse((await events.next())?.data as string)).toMatchObject({ state: 'waiting' });
    await answerQr(phone, waiting.qrUrl);
    expect(await states(events)).toEqual(['scanned', 'approved']);
  });

  it('whatever the query says, the first event is the state read from the store', async () => {
    const { desktop, waiting } = await waitingPage();
    for (const query of ['', '?since=', '?since=soon', `?since=${Date.now() - 120_000}`, `?since=${Date.now() + 3_600_000}`]) {
      const events = await stream(desktop, waiting, query);
      expect(events.status, query).toBe(200);
      expect(JSON.parse((await events.next())?.data as string), query).toMatchObject({ state: 'waiting' });
      events.close();
    }
    await answerQr(phone, waiting.qrUrl);
    expect(await states(await stream(desktop, waiting, `?since=${Date.now()}`))).toEqual(['approved']);
  });
});
