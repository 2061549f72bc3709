import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { Enrollments } from '../../src/accounts/enrollments.js';
import { Users } from '../../src/accounts/users.js';
import { createRedisStore, type RedisStore } from '../../src/store/redis-store.js';
import { BrowserClient, field } from '../support/browser-client.js';
import { readQrPage, PHONE_UA } from '../support/phone.js';
import { REDIS_URL } from '../support/redis.js';
import { RelyingParty } from '../support/relying-party.js';
import { cookieHeader, openEvents } from '../support/sse.js';
import { RP_REDIRECT } from '../support/start-qrid.js';
import { withTwoInstances } from '../support/two-instances.js';

/**
 * Two qrid processes behind one address, sharing one Redis: what the browser waits for on one
 * instance is decided on the other, and a waiting page survives the death of its instance.
 */
describe('two qrid instances sharing Redis', () => {
  const instances = withTwoInstances('two');
  let store: RedisStore;
  let issuer: string;

  beforeAll(() => {
    issuer = instances.issuer;
    store = createRedisStore({ url: REDIS_URL, keyPrefix: instances.prefix });
  });
  afterAll(async () => {
    await store?.close();
  });

  /** A browser pinned to one instance (the header the test load balancer routes by). */
  const pinned = (browser: BrowserClient, backend: string) => ({
    get: (url: string, headers: Record<string, string> = {}) => browser.get(url, { 'X-Backend': backend, ...headers }),
    postForm: (url: string, form: Record<string, string>) => browser.postForm(url, form, { 'X-Backend': backend }),
    postJson: (url: string, headers: Record<string, string> = {}) => browser.postJson(url, { 'X-Backend': backend, ...headers }),
  });

  async function enrolledPhoneOn(backend: string, username: string): Promise<BrowserClient> {
    const user = await new Users(store).create({ username, name: username });
    const { token } = await new Enrollments(store, 900).create('invite', user.id);
    const phone = new BrowserClient(issuer, PHONE_UA);
    const page = await pinned(phone, backend).get(`/enroll/${token}`);
    expect(page.status).toBe(200);
    expect((await pinned(phone, backend).postForm(`/enroll/${token}`, { csrf: field(page.text, 'csrf'), device_name: 'p' })).status).toBe(303);
    return phone;
  }

  async function approveOn(phone: BrowserClient, backend: string, qrUrl: string): Promise<void> {
    const path = new URL(qrUrl).pathname;
    const page = await pinned(phone, backend).get(path);
    expect(page.status, page.text).toBe(200);
    const csrf = field(page.text, 'csrf');
    expect((await pinned(phone, backend).postJson(`${path}/scan`, { 'X-CSRF-Token': csrf })).status).toBe(200);
    expect((await pinned(phone, backend).postForm(path, { csrf, decision: 'approve' })).status).toBe(200);
  }

  /** A desktop browser whose sign-in waits on instance A, with what its event stream needs. */
  async function waitingOnA(rp: RelyingParty) {
    const desktop = new BrowserClient(issuer);
    const onA = pinned(desktop, 'a');
    let page = await onA.get(await rp.authorizationUrl());
    while (page.location?.startsWith(issuer)) page = await onA.get(page.location);
    const waiting = readQrPage(page);
    const eventsPath = `/interaction/${waiting.uid}/events`;
    return { desktop, waiting, eventsPath, cookie: cookieHeader(desktop.cookies, eventsPath) };
  }

  async function finish(desktop: BrowserClient, backend: string, uid: string, csrf: string, rp: RelyingParty) {
    const browser = pinned(desktop, backend);
    let page = await browser.postForm(`/interaction/${uid}/complete`, { csrf });
    for (let i = 0; i < 6 && page.location?.startsWith(issuer); i += 1) page = await browser.get(page.location);
    const consentUid = /action="\/interaction\/([^/]+)\/consent"/.exec(page.text)?.[1];
    if (consentUid) {
      page = await browser.postForm(`/interaction/${consentUid}/consent`, { csrf: field(page.text, 'csrf'), decision: 'allow' });
      for (let i = 0; i < 6 && page.location?.startsWith(issuer); i += 1) page = await browser.get(page.location);
    }
    expect(page.location).toMatch(new RegExp(`^${RP_REDIRECT}\\?code=`));
    const tokens = await rp.redeem(page.location as string);
    expect(tokens.claims()?.iss).toBe(issuer);
    return tokens;
  }

  it('the browser waits on A, the phone approves through B, the browser completes', async () => {
    const phone = await enrolledPhoneOn('b', 'fan');
    const rp = await RelyingParty.discover(issuer);
    const { desktop, waiting, eventsPath, cookie } = await waitingOnA(rp);
    const stream = await openEvents(`${issuer}${eventsPath}`, { Cookie: cookie, 'X-Backend': 'a' });
    expect(stream.status).toBe(200);
    expect(JSON.parse((await stream.next())?.data as string)).toMatchObject({ state: 'waiting' });

    await approveOn(phone, 'b', waiting.qrUrl);
    const states: string[] = [];
    for (let e = await stream.next(); e; e = await stream.next()) states.push((JSON.parse(e.data) as { state: string }).state);
    expect(states).toEqual(['scanned', 'approved']);
    stream.close();

    await finish(desktop, 'a', waiting.uid, waiting.csrf, rp);
  });

  it('A dies while the page waits: the page reconnects to B, catches up and completes', async () => {
    const phone = await enrolledPhoneOn('b', 'survivor');
    const rp = await RelyingParty.discover(issuer);
    const { desktop, waiting, eventsPath, cookie } = await waitingOnA(rp);

    const onAStream = await openEvents(`${issuer}${eventsPath}`, { Cookie: cookie, 'X-Backend': 'a' });
    expect(JSON.parse((await onAStream.next())?.data as string)).toMatchObject({ state: 'waiting' });

    await instances.a.stop('SIGKILL');
    instances.lb.backends.delete('a');
    expect(await onAStream.next()).toBeUndefined(); // the stream broke with its instance

    // The phone scanned while the page was reconnecting; the new stream starts from the truth.
    const path = new URL(waiting.qrUrl).pathname;
    const phonePage = await pinned(phone, 'b').get(path);
    const csrf = field(phonePage.text, 'csrf');
    expect((await pinned(phone, 'b').postJson(`${path}/scan`, { 'X-CSRF-Token': csrf })).status).toBe(200);

    const onBStream = await openEvents(`${issuer}${eventsPath}`, { Cookie: cookie, 'X-Backend': 'b' });
    expect(JSON.parse((await onBStream.next())?.data as string)).toMatchObject({ state: 'scanned' });
    expect((await pinned(phone, 'b').postForm(path, { csrf, decision: 'approve' })).status).toBe(200);
    expect(JSON.parse((await onBStream.next())?.data as string)).toMatchObject({ state: 'approved' });
    onBStream.close();

    await finish(desktop, 'b', waiting.uid, waiting.csrf, rp);
  });
});
