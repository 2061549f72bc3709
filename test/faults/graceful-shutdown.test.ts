import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { Enrollments } from '../../src/accounts/enrollments.js';
import { Users } from '../../src/accounts/users.js';
import { createRedisStore } from '../../src/store/redis-store.js';
import { BrowserClient, field } from '../support/browser-client.js';
import { waitFor } from '../support/loopback.js';
import { answerQr, enrolledPhone, PHONE_UA } from '../support/phone.js';
import { REDIS_URL } from '../support/redis.js';
import { RelyingParty } from '../support/relying-party.js';
import { completeToCallback, openQrPage } from '../support/sign-in.js';
import { cookieHeader, type EventReader, openEvents } from '../support/sse.js';
import { type RunningQrid, startQrid } from '../support/start-qrid.js';
import { withTwoInstances } from '../support/two-instances.js';

describe('the drain, from shutdown to exit', () => {
  let qrid: RunningQrid;
  beforeAll(async () => {
    qrid = await startQrid();
  });
  afterAll(async () => {
    await qrid.close();
  });

  it('says 503 on /readyz, closes each connection after its response, tells open streams (the inbox\'s too) and one opened now to reconnect', async () => {
    const rp = await RelyingParty.discover(qrid.issuer);
    const desktop = new BrowserClient(qrid.issuer);
    const waiting = await openQrPage(desktop, rp);
    expect((await fetch(`${qrid.issuer}/readyz`)).status).toBe(200);
    // A phone's inbox page is open too.
    const { phone } = await enrolledPhone(qrid);
    const inbox = await openEvents(`${qrid.issuer}/phone/inbox/events`, { Cookie: cookieHeader(phone.cookies, '/phone/inbox/events') });
    expect(inbox.status).toBe(200);

    qrid.qrid.shutdown();
    expect((await inbox.next())?.event).toBe('reconnect');
    expect(await inbox.next()).toBeUndefined();
    const ready = await fetch(`${qrid.issuer}/readyz`);
    expect(ready.status).toBe(503);
    expect(await ready.json()).toMatchObject({ status: 'draining' });
    expect(ready.headers.get('connection')).toBe('close');
    const page = await desktop.get(`/interaction/${waiting.uid}`);
    expect(page.status).toBe(200);
    const path = `/interaction/${waiting.uid}/events`;
    const late = await openEvents(`${qrid.issuer}${path}`, { Cookie: cookieHeader(desktop.cookies, path) });
    expect(JSON.parse((await late.next())?.data as string)).toMatchObject({ state: 'waiting' });
    expect((await late.next())?.event).toBe('reconnect');
    expect(await late.next()).toBeUndefined();
  });
});

/**
 * SIGTERM to one of two instances behind a load balancer, while requests keep coming and pages
 * wait on it: every request is answered (by it while it drains, by the other once it has
 * stopped listening), every waiting page is told to reconnect, reconnects to the other
 * instance and completes.
 */
describe('SIGTERM under load', () => {
  const instances = withTwoInstances('sigterm');

  /** A browser the load balancer sends to `backend` first. */
  const on = (backend: string, userAgent?: string) => {
    const browser = new BrowserClient(instances.issuer, userAgent);
    browser.headers['X-Backend'] = backend;
    return browser;
  };

  it('loses no request in flight and no waiting page', async () => {
    const { issuer, prefix, a } = instances;
    const store = createRedisStore({ url: REDIS_URL, keyPrefix: prefix });
    const user = await new Users(store).create({ username: 'sam', name: 'Sam' });
    const { token } = await new Enrollments(store, 900).create('invite', user.id);
    await store.close();
    const phone = on('b', PHONE_UA);
    const enroll = await phone.get(`/enroll/${token}`);
    expect((await phone.postForm(`/enroll/${token}`, { csrf: field(enroll.text, 'csrf'), device_name: 'p' })).status).toBe(303);
    const rp = await RelyingParty.discover(issuer);

    // Five pages wait on A.
    const pages = await Promise.all(
      Array.from({ length: 5 }, async () => {
        const desktop = on('a');
        const waiting = await openQrPage(desktop, rp);
        const path = `/interaction/${waiting.uid}/events`;
        const open = () => openEvents(`${issuer}${path}`, { Cookie: cookieHeader(desktop.cookies, path), 'X-Backend': 'a' });
        const stream = await open();
        expect(JSON.parse((await stream.next())?.data as string)).toMatchObject({ state: 'waiting' });
        return { desktop, waiting, stream, open };
      }),
    );

    // Sign-ins keep starting on A (authorization request, then the QR page) from four loops,
    // before SIGTERM, through A's shutdown delay and drain, and after it has gone.
    const answers: string[] = [];
    let stopLoad = false;
    const load = Promise.all(
      Array.from({ length: 4 }, async () => {
        while (!stopLoad) {
          const desktop = on('a');
          try {
            const page = await desktop.follow(await desktop.get(await rp.authorizationUrl()));
            answers.push(String(page.status));
          } catch (error) {
            answers.push(`error: ${error instanceof Error ? error.message : String(error)}`);
          }
          // Paced: the sign-ins of the whole test stay within one address's QR budget (120).
          await new Promise((resolve) => setTimeout(resolve, 250));
        }
      }),
    );
    await waitFor('sign-ins started on A', async () => (answers.length >= 10 ? true : undefined), 60_000);
    const exited = a.stop('SIGTERM');
    // For its shutdown delay A still takes connections, and tells health checks it is draining.
    await waitFor('A to say it drains', async () => ((await fetch(`http://127.0.0.1:${a.port}/readyz`)).status === 503 ? true : undefined), 10_000);
    const told = await Promise.all(pages.map(async (p) => (await p.stream.next(30_000))?.event));
    expect(await exited).toBe(0);
    const atExit = answers.length;
    await waitFor('sign-ins started after A stopped', async () => (answers.length >= atExit + 10 ? true : undefined), 60_000); // B answers for A now
    stopLoad = true;
    await load;
    expect(told).toEqual(pages.map(() => 'reconnect'));
    expect(answers.filter((answer) => answer !== '200')).toEqual([]);

    // Each page reconnects (the load balancer sends it to B), and its sign-in completes.
    for (const page of pages) {
      const stream: EventReader = await page.open();
      expect(JSON.parse((await stream.next())?.data as string)).toMatchObject({ state: 'waiting' });
      expect((await answerQr(phone, page.waiting.qrUrl)).status).toBe(200);
      let event = await stream.next();
      while (event && JSON.parse(event.data).state !== 'approved') event = await stream.next();
      expect(event && JSON.parse(event.data)).toMatchObject({ state: 'approved' });
      const done = await completeToCallback(page.desktop, page.waiting);
      expect((await rp.redeem(done.location as string)).claims()?.sub).toBe(user.id);
    }
  }, 120_000);
});
