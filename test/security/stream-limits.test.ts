import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { BrowserClient } from '../support/browser-client.js';
import { enrolledPhone } from '../support/phone.js';
import { RelyingParty } from '../support/relying-party.js';
import { openQrPage } from '../support/sign-in.js';
import { cookieHeader, type EventReader, openEvents } from '../support/sse.js';
import { type RunningQrid, startQrid } from '../support/start-qrid.js';

/**
 * Security suite, item 18 (see SECURITY.md): event streams and long-polls are bounded per
 * interaction and per client address (429 past the limit), and no stream outlives its
 * interaction: it ends when the interaction expires or the person cancels.
 */
describe('security: waiting-page streams are bounded and end with their interaction', () => {
  let qrid: RunningQrid;
  let rp: RelyingParty;
  const limits = { open_streams_per_interaction: 3, open_streams_per_ip: 5 };
  const open: EventReader[] = [];

  beforeAll(async () => {
    qrid = await startQrid({ proxy: true, rate_limits: limits });
    await enrolledPhone(qrid);
    rp = await RelyingParty.discover(qrid.issuer);
  });
  afterAll(async () => {
    for (const stream of open) stream.close();
    await qrid.close();
  });

  const waitingOn = async (ip: string) => {
    const desktop = new BrowserClient(qrid.issuer);
    desktop.headers['X-Forwarded-For'] = ip;
    return { desktop, waiting: await openQrPage(desktop, new RelyingParty(rp)) };
  };
  const stream = async (desktop: BrowserClient, uid: string) => {
    const path = `/interaction/${uid}/events`;
    const events = await openEvents(`${qrid.issuer}${path}`, { Cookie: cookieHeader(desktop.cookies, path), ...desktop.headers });
    open.push(events);
    return events;
  };
  // Claims to know "scanned", so a waiting approval is answered at once.
  const poll = (desktop: BrowserClient, uid: string) => desktop.get(`/interaction/${uid}/status?state=scanned`, { Accept: 'application/json' });
  const stateOf = async (events: EventReader) => (JSON.parse((await events.next(30_000))?.data ?? '{"state":"(ended)"}') as { state: string }).state;

  it('[18] one interaction gets a few streams, then 429; its long-polls count with them; a closed stream frees its place', async () => {
    const { desktop, waiting } = await waitingOn('198.51.100.1');
    const streams = [];
    for (let i = 0; i < limits.open_streams_per_interaction; i += 1) {
      const events = await stream(desktop, waiting.uid);
      expect(events.status).toBe(200);
      expect(await stateOf(events)).toBe('waiting');
      streams.push(events);
    }
    const refused = await stream(desktop, waiting.uid);
    expect(refused.status).toBe(429);
    const polled = await poll(desktop, waiting.uid);
    expect(polled.status).toBe(429);
    expect(JSON.parse(polled.text)).toMatchObject({ error: 'too_many_streams' });

    streams[0]!.close();
    await expect.poll(async () => (await poll(desktop, waiting.uid)).status, { timeout: 20_000 }).not.toBe(429);
  });

  it('[18] one address gets a bounded number of streams across interactions', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < limits.open_streams_per_ip + 1; i += 1) {
      const { desktop, waiting } = await waitingOn('198.51.100.2');
      statuses.push((await stream(desktop, waiting.uid)).status);
    }
    expect(statuses).toEqual([200, 200, 200, 200, 200, 429]);
    // Another address is not affected.
    const { desktop, waiting } = await waitingOn('198.51.100.3');
    expect((await stream(desktop, waiting.uid)).status).toBe(200);
  });

  it('[18] a stream ends with "expired" when its interaction expires, and when the person cancels', async () => {
    const { desktop, waiting } = await waitingOn('198.51.100.4');
    // The approval lives exactly as long as its interaction; bring that end close.
    await qrid.store.patchRecord(`approval:${waiting.uid}`, { expiresAt: String(Date.now() + 1_500) });
    const expiring = await stream(desktop, waiting.uid);
    expect(await stateOf(expiring)).toBe('waiting');
    expect(await stateOf(expiring)).toBe('expired');
    expect(await expiring.next()).toBeUndefined();

    const other = await waitingOn('198.51.100.5');
    const cancelled = await stream(other.desktop, other.waiting.uid);
    expect(await stateOf(cancelled)).toBe('waiting');
    const abort = await other.desktop.postForm(`/interaction/${other.waiting.uid}/abort`, { csrf: other.waiting.csrf });
    expect(abort.status).toBe(303);
    expect(await stateOf(cancelled)).toBe('expired');
    expect(await cancelled.next()).toBeUndefined();
  });
});
