import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { MemoryStore } from '../../src/store/memory-store.js';
import type { Fields } from '../../src/store/store.js';
import { BrowserClient } from '../support/browser-client.js';
import { answerQr, enrolledPhone, readQrPage, type WaitingPage } from '../support/phone.js';
import { RelyingParty } from '../support/relying-party.js';
import { cookieHeader, type EventReader, openEvents } from '../support/sse.js';
import { type RunningQrid, startQrid } from '../support/start-qrid.js';

/** A memory store that counts reads of approval records (every read of them comes through getRecord or getRecords). */
class CountingStore extends MemoryStore {
  approvalReads = 0;
  override getRecord(key: string): Promise<Fields | undefined> {
    if (key.startsWith('approval:')) this.approvalReads += 1;
    return super.getRecord(key);
  }
  override getRecords(keys: readonly string[]): Promise<(Fields | undefined)[]> {
    if (keys.some((key) => key.startsWith('approval:'))) this.approvalReads += 1;
    return super.getRecords(keys);
  }
}

/**
 * A new event stream catches up from the page's `since`: from the instance's log of recent
 * approval events when it can vouch for it (no store read), from the store otherwise.
 */
describe('the event stream’s catch-up', () => {
  const store = new CountingStore();
  let qrid: RunningQrid;
  let phone: BrowserClient;
  let rp: RelyingParty;

  beforeAll(async () => {
    // One instance: no other clock to allow for.
    qrid = await startQrid({ store: { clock_skew_ms: 0 } }, { store });
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

  function stream(desktop: BrowserClient, waiting: WaitingPage, query: string): Promise<EventReader> {
    const path = `/interaction/${waiting.uid}/events`;
    return openEvents(`${qrid.issuer}${path}${query}`, { Cookie: cookieHeader(desktop.cookies, path) });
  }

  const states = async (events: EventReader) => {
    const seen: string[] = [];
    for (let e = await events.next(); e; e = await events.next()) seen.push((JSON.parse(e.data) as { state: string }).state);
    return seen;
  };

  it('a decision made before the stream opened arrives first, from the log, with no store read', async () => {
    const { desktop, waiting } = await waitingPage();
    await answerQr(phone, waiting.qrUrl);
    const reads = store.approvalReads;
    const events = await stream(desktop, waiting, `?since=${waiting.eventsSince}`);
    expect(events.status).toBe(200);
    expect(await states(events)).toEqual(['approved']);
    expect(store.approvalReads).toBe(reads);
  });

  it('nothing happened since the page: no catch-up event, then the phone’s answer as it comes', async () => {
    const { desktop, waiting } = await waitingPage();
    const reads = store.approvalReads;
    const events = await stream(desktop, waiting, `?since=${waiting.eventsSince}`);
    await expect(events.next(300)).rejects.toThrow('no event in time');
    expect(store.approvalReads).toBe(reads);
    await answerQr(phone, waiting.qrUrl);
    expect(await states(events)).toEqual(['scanned', 'approved']);
  });

  it('without `since`, or with one the log cannot vouch for, the stream reads the current state', async () => {
    const { desktop, waiting } = await waitingPage();
    for (const query of ['', '?since=', '?since=soon', `?since=${Number(waiting.eventsSince) - 120_000}`, `?since=${Date.now() + 3_600_000}`]) {
      const reads = store.approvalReads;
      const events = await stream(desktop, waiting, query);
      expect(events.status, query).toBe(200);
      expect(JSON.parse((await events.next())?.data as string), query).toMatchObject({ state: 'waiting' });
      expect(store.approvalReads, query).toBe(reads + 1);
      events.close();
    }
    await answerQr(phone, waiting.qrUrl);
    const late = await stream(desktop, waiting, `?since=${Number(waiting.eventsSince) - 120_000}`);
    expect(await states(late)).toEqual(['approved']);
  });
});
