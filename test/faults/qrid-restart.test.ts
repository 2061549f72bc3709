import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { Enrollments } from '../../src/accounts/enrollments.js';
import { Users } from '../../src/accounts/users.js';
import { createRedisStore } from '../../src/store/redis-store.js';
import { BrowserClient, field } from '../support/browser-client.js';
import { freePort } from '../support/loopback.js';
import { answerQr, PHONE_UA, readQrPage } from '../support/phone.js';
import { type QridProcess, startQridProcess, writeConfig } from '../support/qrid-process.js';
import { deletePrefix, REDIS_URL, requireRedis, testPrefix } from '../support/redis.js';
import { RelyingParty } from '../support/relying-party.js';
import { cookieHeader, openEvents } from '../support/sse.js';
import { RP_REDIRECT } from '../support/start-qrid.js';

/** qrid stops (gracefully) between showing the QR and the approval; the login still completes. */
describe('qrid restart during a login', () => {
  const prefix = testPrefix('restart');
  let raw: Redis;
  let qrid: QridProcess;
  let port: number;
  let config: string;
  let issuer: string;

  beforeAll(async () => {
    raw = await requireRedis();
    port = await freePort();
    issuer = `http://localhost:${port}`;
    config = writeConfig(mkdtempSync(join(tmpdir(), 'qrid-restart-')), { issuer, redisUrl: REDIS_URL, prefix });
    qrid = await startQridProcess(port, config);
  }, 30_000);
  afterAll(async () => {
    await qrid?.stop('SIGKILL');
    await deletePrefix(raw, prefix);
    await raw?.quit();
  });

  it('tells waiting pages to reconnect on SIGTERM, and loses no pending login or enrollment', async () => {
    const store = createRedisStore({ url: REDIS_URL, keyPrefix: prefix });
    const user = await new Users(store).create({ username: 'rita', name: 'Rita' });
    const { token } = await new Enrollments(store, 900).create('invite', user.id);
    await store.close();

    const rp = await RelyingParty.discover(issuer);
    const desktop = new BrowserClient(issuer);
    const waiting = readQrPage(await desktop.follow(await desktop.get(await rp.authorizationUrl())));
    const eventsPath = `/interaction/${waiting.uid}/events`;
    const stream = await openEvents(`${issuer}${eventsPath}`, { Cookie: cookieHeader(desktop.cookies, eventsPath) });
    expect(JSON.parse((await stream.next())?.data as string)).toMatchObject({ state: 'waiting' });

    const exit = qrid.stop('SIGTERM');
    const goodbye = await stream.next();
    expect(goodbye?.event).toBe('reconnect');
    expect(await exit).toBe(0);

    qrid = await startQridProcess(port, config);
    // The enrollment link made before the restart still works, and so does the pending login.
    const phone = new BrowserClient(issuer, PHONE_UA);
    const enroll = await phone.get(`/enroll/${token}`);
    expect(enroll.status).toBe(200);
    expect((await phone.postForm(`/enroll/${token}`, { csrf: field(enroll.text, 'csrf'), device_name: 'p' })).status).toBe(303);
    expect((await answerQr(phone, waiting.qrUrl)).status).toBe(200);

    let page = await desktop.follow(await desktop.postForm(`/interaction/${waiting.uid}/complete`, { csrf: waiting.csrf }));
    const consentUid = /action="\/interaction\/([^/]+)\/consent"/.exec(page.text)?.[1] as string;
    page = await desktop.follow(await desktop.postForm(`/interaction/${consentUid}/consent`, { csrf: field(page.text, 'csrf'), decision: 'allow' }));
    expect(page.location).toMatch(new RegExp(`^${RP_REDIRECT}\\?code=`));
    const tokens = await rp.redeem(page.location as string);
    expect(tokens.claims()?.sub).toBe(user.id);
  });
});
