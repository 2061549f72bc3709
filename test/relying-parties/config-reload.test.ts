import { appendFileSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { Enrollments } from '../../src/accounts/enrollments.js';
import { Users } from '../../src/accounts/users.js';
import { createRedisStore } from '../../src/store/redis-store.js';
import { BrowserClient, field } from '../support/browser-client.js';
import { freePort, waitFor } from '../support/loopback.js';
import { answerQr, PHONE_UA, readQrPage } from '../support/phone.js';
import { type QridProcess, startQridProcess, writeConfig } from '../support/qrid-process.js';
import { deletePrefix, REDIS_URL, requireRedis, testPrefix } from '../support/redis.js';
import { RelyingParty } from '../support/relying-party.js';
import { completeToCallback } from '../support/sign-in.js';
import { cookieHeader, openEvents } from '../support/sse.js';
import { RP_REDIRECT } from '../support/start-qrid.js';

const LATE = { id: 'late-rp', secret: 'late-rp-secret-that-is-long-enough-0123456789' };

/** SIGHUP reloads the client list of a running qrid (as `npm start` runs it), waiting pages untouched. */
describe('SIGHUP reloads the clients', () => {
  const prefix = testPrefix('reload');
  let raw: Redis;
  let qrid: QridProcess;
  let issuer: string;
  let configFile: string;

  beforeAll(async () => {
    raw = await requireRedis();
    const port = await freePort();
    issuer = `http://localhost:${port}`;
    configFile = writeConfig(mkdtempSync(join(tmpdir(), 'qrid-reload-')), { issuer, redisUrl: REDIS_URL, prefix });
    qrid = await startQridProcess(port, configFile);
  }, 30_000);
  afterAll(async () => {
    await qrid?.stop('SIGKILL');
    await deletePrefix(raw, prefix);
    await raw?.quit();
  });

  /** Whether qrid serves a sign-in for this client: the QR page, not an error page. */
  async function serves(clientId: string, secret: string): Promise<boolean> {
    const rp = await RelyingParty.discover(issuer, clientId, secret);
    const browser = new BrowserClient(issuer);
    const page = await browser.follow(await browser.get(await rp.authorizationUrl()));
    return page.status === 200 && page.text.includes('id="qr"');
  }

  it('serves a client added to the file, keeps the open event stream, and keeps the old clients when the file is bad', async () => {
    const store = createRedisStore({ url: REDIS_URL, keyPrefix: prefix });
    const user = await new Users(store).create({ username: 'hal' });
    const { token } = await new Enrollments(store, 900).create('invite', user.id);
    await store.close();
    const phone = new BrowserClient(issuer, PHONE_UA);
    const enroll = await phone.get(`/enroll/${token}`);
    expect((await phone.postForm(`/enroll/${token}`, { csrf: field(enroll.text, 'csrf'), device_name: 'p' })).status).toBe(303);

    // A sign-in waits, its page listening, while the configuration changes.
    const rp = await RelyingParty.discover(issuer);
    const desktop = new BrowserClient(issuer);
    const waiting = readQrPage(await desktop.follow(await desktop.get(await rp.authorizationUrl())));
    const eventsPath = `/interaction/${waiting.uid}/events`;
    const stream = await openEvents(`${issuer}${eventsPath}`, { Cookie: cookieHeader(desktop.cookies, eventsPath) });
    expect(JSON.parse((await stream.next())?.data as string)).toMatchObject({ state: 'waiting' });

    expect(await serves(LATE.id, LATE.secret).catch(() => false)).toBe(false);
    const original = readFileSync(configFile, 'utf8');
    appendFileSync(configFile, [`  - client_id: ${LATE.id}`, `    client_secret: ${LATE.secret}`, '    client_name: Late RP', `    redirect_uris: [${RP_REDIRECT}]`, ''].join('\n'));
    qrid.child.kill('SIGHUP');
    await waitFor('the new client to be served', async () => ((await serves(LATE.id, LATE.secret)) ? true : undefined));

    // The page that waited through the reload still hears its approval and completes.
    await answerQr(phone, waiting.qrUrl);
    let event = await stream.next();
    while (event && JSON.parse(event.data).state !== 'approved') event = await stream.next();
    expect(JSON.parse(event?.data as string)).toMatchObject({ state: 'approved' });
    const callback = await completeToCallback(desktop, waiting);
    expect((await rp.redeem(callback.location as string)).claims()?.sub).toBe(user.id);

    // A file with a mistake changes nothing: the log names the field, every client stays.
    writeFileSync(configFile, `${original}  - client_id: broken\n    client_name: Broken\n    redirect_uris: [not-a-url]\n`);
    qrid.child.kill('SIGHUP');
    await waitFor('the refusal in the log', async () => (qrid.output().includes('configuration not reloaded') ? true : undefined));
    expect(qrid.output()).toContain('clients[1].redirect_uris[0]: must be an http(s) URL');
    expect(await serves(LATE.id, LATE.secret)).toBe(true);
    expect(qrid.alive()).toBe(true);
  });
});
