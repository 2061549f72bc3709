import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { Enrollments } from '../../src/accounts/enrollments.js';
import { Users } from '../../src/accounts/users.js';
import { createRedisStore } from '../../src/store/redis-store.js';
import { BrowserClient, field } from '../support/browser-client.js';
import { freePort, waitFor } from '../support/loopback.js';
import { answerQr, PHONE_UA, readQrPage } from '../support/phone.js';
import { PrivateRedis } from '../support/private-redis.js';
import { METRICS_TOKEN, type QridProcess, startQridProcess, writeConfig } from '../support/qrid-process.js';
import { RelyingParty } from '../support/relying-party.js';
import { RP_REDIRECT } from '../support/start-qrid.js';

/** Redis goes away and comes back while qrid runs: clear 503s, no crash, recovery by itself. */
describe('Redis outage', () => {
  let redis: PrivateRedis;
  let qrid: QridProcess;
  let issuer: string;
  let phone: BrowserClient;

  beforeAll(async () => {
    redis = new PrivateRedis(await freePort());
    await redis.start();
    const port = await freePort();
    issuer = `http://localhost:${port}`;
    qrid = await startQridProcess(port, writeConfig(mkdtempSync(join(tmpdir(), 'qrid-outage-')), { issuer, redisUrl: redis.url, prefix: 'qrid:' }));
    const store = createRedisStore({ url: redis.url, keyPrefix: 'qrid:' });
    const user = await new Users(store).create({ username: 'olive' });
    const { token } = await new Enrollments(store, 900).create('invite', user.id);
    await store.close();
    phone = new BrowserClient(issuer, PHONE_UA);
    const page = await phone.get(`/enroll/${token}`);
    await phone.postForm(`/enroll/${token}`, { csrf: field(page.text, 'csrf'), device_name: 'p' });
  }, 60_000);
  afterAll(async () => {
    await qrid?.stop('SIGKILL');
    await redis?.stop();
  });

  async function signIn(): Promise<string> {
    const rp = await RelyingParty.discover(issuer);
    const desktop = new BrowserClient(issuer);
    const waiting = readQrPage(await desktop.follow(await desktop.get(await rp.authorizationUrl())));
    expect((await answerQr(phone, waiting.qrUrl)).status).toBe(200);
    let page = await desktop.follow(await desktop.postForm(`/interaction/${waiting.uid}/complete`, { csrf: waiting.csrf }));
    const consentUid = /action="\/interaction\/([^/]+)\/consent"/.exec(page.text)?.[1];
    if (consentUid) page = await desktop.follow(await desktop.postForm(`/interaction/${consentUid}/consent`, { csrf: field(page.text, 'csrf'), decision: 'allow' }));
    expect(page.location).toMatch(new RegExp(`^${RP_REDIRECT}\\?code=`));
    return (await rp.redeem(page.location as string)).claims()?.sub as string;
  }

  it('answers 503 while Redis is down and recovers when it returns', async () => {
    expect(await signIn()).toBeTruthy();
    const before = await fetch(`${issuer}/readyz`);
    expect(before.status).toBe(200);

    await redis.stop();
    await waitFor('/readyz to report the outage', async () => ((await fetch(`${issuer}/readyz`)).status === 503 ? true : undefined));

    const page = await new BrowserClient(issuer).get('/phone');
    expect(page.status).toBe(503);
    expect(page.headers.get('retry-after')).toBe('5');
    expect(page.text).toContain('Temporarily unavailable');
    const api = await fetch(`${issuer}/.well-known/openid-configuration`, { headers: { Accept: 'application/json' } });
    expect(api.status).toBe(503);
    expect(await api.json()).toMatchObject({ error: 'temporarily_unavailable' });
    const auth = await new BrowserClient(issuer).get('/auth?client_id=test-rp&response_type=code&scope=openid');
    expect(auth.status).toBe(503);
    expect((await fetch(`${issuer}/healthz`)).status).toBe(200);
    const metrics = await (await fetch(`${issuer}/metrics`, { headers: { Authorization: `Bearer ${METRICS_TOKEN}` } })).text();
    expect(metrics).toMatch(/qrid_store_errors_total [1-9]\d*/);
    expect(qrid.alive()).toBe(true);

    await redis.start();
    await waitFor('/readyz to recover', async () => ((await fetch(`${issuer}/readyz`)).status === 200 ? true : undefined), 20_000);
    expect(qrid.alive()).toBe(true);
    // Everything stored before the outage is still there (AOF): the same phone signs in again.
    expect(await signIn()).toBeTruthy();
  });
});
