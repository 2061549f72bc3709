import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { BrowserClient } from '../support/browser-client.js';
import { answerQr, enrolledPhone, readQrPage } from '../support/phone.js';
import { RelyingParty } from '../support/relying-party.js';
import { cookieHeader, openEvents } from '../support/sse.js';
import { type RunningQrid, startQrid } from '../support/start-qrid.js';

const metric = (text: string, line: string): number => {
  const match = text.split('\n').find((l) => l.startsWith(`${line} `));
  return match ? Number(match.split(' ').pop()) : 0;
};

describe('/metrics', () => {
  let qrid: RunningQrid;
  const token = 'metrics-token-0123456789';

  beforeAll(async () => {
    qrid = await startQrid({ metrics: { token } });
  });
  afterAll(async () => {
    await qrid.close();
  });

  const scrape = async () => (await fetch(`${qrid.issuer}/metrics`, { headers: { Authorization: `Bearer ${token}` } })).text();

  it('needs the configured token', async () => {
    expect((await fetch(`${qrid.issuer}/metrics`)).status).toBe(401);
    expect((await fetch(`${qrid.issuer}/metrics`, { headers: { Authorization: 'Bearer wrong' } })).status).toBe(401);
  });

  it('counts login outcomes, approval-to-completion latency, open streams and requests', async () => {
    const { phone } = await enrolledPhone(qrid);
    const rp = await RelyingParty.discover(qrid.issuer);
    const desktop = new BrowserClient(qrid.issuer);
    const waiting = readQrPage(await desktop.follow(await desktop.get(await rp.authorizationUrl())));
    const path = `/interaction/${waiting.uid}/events`;
    const stream = await openEvents(`${qrid.issuer}${path}`, { Cookie: cookieHeader(desktop.cookies, path) });
    await stream.next();
    expect(metric(await scrape(), 'qrid_open_event_streams')).toBe(1);

    await answerQr(phone, waiting.qrUrl);
    const completed = await desktop.postForm(`/interaction/${waiting.uid}/complete`, { csrf: waiting.csrf });
    // Posted again before resuming (a lost redirect): the same way back, counted once.
    const again = await desktop.postForm(`/interaction/${waiting.uid}/complete`, { csrf: waiting.csrf });
    expect([completed.status, again.status]).toEqual([303, 303]);
    expect(again.location).toBe(completed.location);
    stream.close();

    const other = new BrowserClient(qrid.issuer);
    const denied = readQrPage(await other.follow(await other.get(await new RelyingParty(rp).authorizationUrl())));
    await answerQr(phone, denied.qrUrl, 'deny');

    const text = await scrape();
    expect(metric(text, 'qrid_logins_total{outcome="started"}')).toBe(2);
    expect(metric(text, 'qrid_logins_total{outcome="scanned"}')).toBe(2);
    expect(metric(text, 'qrid_logins_total{outcome="approved"}')).toBe(1);
    expect(metric(text, 'qrid_logins_total{outcome="denied"}')).toBe(1);
    expect(metric(text, 'qrid_logins_total{outcome="completed"}')).toBe(1);
    expect(metric(text, 'qrid_approval_to_completion_seconds_count')).toBe(1);
    expect(metric(text, 'qrid_http_request_duration_seconds_count{route="/q/:handle",method="POST",status="2xx"}')).toBe(2);
    expect(text).toContain('qrid_process_cpu_seconds_total');
    await expect.poll(async () => metric(await scrape(), 'qrid_open_event_streams')).toBe(0);
  });
});
