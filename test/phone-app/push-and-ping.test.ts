import { createServer, type Server } from 'node:https';
import { mkdtempSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import type { Redis } from 'ioredis';
import * as oidc from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { Enrollments } from '../../src/accounts/enrollments.js';
import { Users } from '../../src/accounts/users.js';
import { createRedisStore } from '../../src/store/redis-store.js';
import { BrowserClient, field } from '../support/browser-client.js';
import { freePort } from '../support/loopback.js';
import { PHONE_UA } from '../support/phone.js';
import { PushService } from '../support/push-service.js';
import { COOKIE_KEY, type QridProcess, startQridProcess } from '../support/qrid-process.js';
import { deletePrefix, REDIS_URL, requireRedis, testPrefix } from '../support/redis.js';
import { makeTestCa } from '../support/test-ca.js';

const SECRET = 'ciba-client-secret-that-is-long-enough-0123456789';

/**
 * qrid as `npm start` runs it, talking to real protocol peers on loopback over HTTPS (trusted
 * through NODE_EXTRA_CA_CERTS, as a private CA would be): a Web Push service that checks the
 * VAPID signature and decrypts the payload, and a CIBA client's ping endpoint.
 */
describe('Web Push to phones, and CIBA ping', () => {
  const prefix = testPrefix('push');
  const ca = makeTestCa();
  const pushService = new PushService(ca);
  const pings: { authorization: string; body: string }[] = [];
  let pingServer: Server;
  let raw: Redis;
  let qrid: QridProcess;
  let issuer: string;
  let phone: BrowserClient;

  beforeAll(async () => {
    raw = await requireRedis();
    await pushService.start();
    pingServer = createServer(ca, (req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        pings.push({ authorization: String(req.headers.authorization ?? ''), body });
        res.writeHead(204).end();
      });
    });
    await new Promise<void>((resolve) => pingServer.listen(0, '127.0.0.1', resolve));
    const pingUrl = `https://127.0.0.1:${(pingServer.address() as AddressInfo).port}/ciba/ping`;
    const port = await freePort();
    issuer = `http://localhost:${port}`;
    const configFile = join(mkdtempSync(join(tmpdir(), 'qrid-push-')), 'qrid.yaml');
    writeFileSync(
      configFile,
      [
        `issuer: ${issuer}`,
        'host: 127.0.0.1',
        `cookie_keys: ["${COOKIE_KEY}"]`,
        'log_level: warn',
        `store: { kind: redis, redis_url: "${REDIS_URL}", key_prefix: "${prefix}" }`,
        'polling: { interval_seconds: 1 }',
        'push: { endpoint_hosts: ["127.0.0.1"], contact: "mailto:ops@qrid.example" }',
        'outgoing: { allow_private_hosts: ["127.0.0.1"] }',
        'clients:',
        `  - { client_id: pay, client_name: Payments, client_secret: ${SECRET}, ciba: poll }`,
        `  - { client_id: pinged, client_name: Pinged app, client_secret: ${SECRET}, ciba: ping, ciba_notification_endpoint: "${pingUrl}" }`,
        '',
      ].join('\n'),
    );
    qrid = await startQridProcess(port, configFile, { NODE_EXTRA_CA_CERTS: ca.caFile });

    const store = createRedisStore({ url: REDIS_URL, keyPrefix: prefix });
    const user = await new Users(store).create({ username: 'alice', email: 'alice@example.com' });
    const { token } = await new Enrollments(store, 900).create('invite', user.id);
    await store.close();
    phone = new BrowserClient(issuer, PHONE_UA);
    const enroll = await phone.get(`/enroll/${token}`);
    expect((await phone.postForm(`/enroll/${token}`, { csrf: field(enroll.text, 'csrf'), device_name: 'p' })).status).toBe(303);
  }, 60_000);
  afterAll(async () => {
    await qrid?.stop('SIGKILL');
    await pushService.stop();
    pingServer?.close();
    await deletePrefix(raw, prefix);
    await raw?.quit();
  });

  const app = (id: string) => oidc.discovery(new URL(issuer), id, SECRET, oidc.ClientSecretBasic(SECRET), { execute: [oidc.allowInsecureRequests] });
  const subscribe = async (subscription: unknown) => {
    const home = await phone.get('/phone');
    return phone.request('POST', '/phone/push', JSON.stringify({ subscription }), {
      'Content-Type': 'application/json',
      'X-CSRF-Token': field(home.text, 'csrf'),
      Origin: issuer,
      'Sec-Fetch-Site': 'same-origin',
      Accept: 'application/json',
    });
  };

  it('refuses a subscription to anything but a configured push service', async () => {
    const { subscription } = pushService.subscribe();
    for (const endpoint of ['https://evil.example/push/x', subscription.endpoint.replace('https:', 'http:'), 'not a url']) {
      const refused = await subscribe({ ...subscription, endpoint });
      expect(refused.status, endpoint).toBe(400);
    }
    expect((await subscribe({ ...subscription, keys: { p256dh: 'short', auth: 'x' } })).status).toBe(400);
  });

  it('pushes a CIBA request to the phone: VAPID-signed, encrypted for it, naming only the inbox entry', async () => {
    const { id, subscription } = pushService.subscribe();
    expect((await subscribe(subscription)).status).toBe(200);
    expect((await phone.get('/phone')).text).toContain('Notifications are on for this phone.');
    const started = await oidc.initiateBackchannelAuthentication(await app('pay'), { scope: 'openid', login_hint: 'alice', binding_message: 'Order 7' });
    await expect.poll(() => pushService.received.filter((p) => p.id === id).length, { timeout: 20_000 }).toBe(1);
    const push = pushService.received.find((p) => p.id === id)!;
    expect(push.payload).toEqual({ title: 'qrid', body: 'A sign-in waits for your approval.', url: `/phone/inbox/${started.auth_req_id}`, tag: started.auth_req_id });
    expect(JSON.stringify(push.payload)).not.toContain('Order 7');
    expect(push.claims.sub).toBe('mailto:ops@qrid.example');
    expect(push.urgency).toBe('high');
    expect(Number(push.ttl)).toBeLessThanOrEqual(started.expires_in);
    expect(push.vapidKey).toBe(/data-key="([^"]+)"/.exec((await phone.get('/phone')).text)?.[1]);
  });

  it('pings a ping client when the phone decides; one token request then gets the tokens', async () => {
    const pinged = await app('pinged');
    const started = await oidc.initiateBackchannelAuthentication(pinged, { scope: 'openid', login_hint: 'alice', client_notification_token: 'cnt-12345' });
    const screen = await phone.get(`/phone/inbox/${started.auth_req_id}`);
    await phone.postForm(`/phone/inbox/${started.auth_req_id}`, { csrf: field(screen.text, 'csrf'), decision: 'approve' });
    await expect.poll(() => pings.length, { timeout: 20_000 }).toBe(1);
    expect(pings[0]).toEqual({ authorization: 'Bearer cnt-12345', body: JSON.stringify({ auth_req_id: started.auth_req_id }) });
    const tokens = await oidc.genericGrantRequest(pinged, 'urn:openid:params:grant-type:ciba', { auth_req_id: started.auth_req_id });
    expect(tokens.claims()?.aud).toBe('pinged');
  });

  it('forgets a subscription the push service says is gone', async () => {
    const { id } = pushService.received.at(-1) ?? { id: '' };
    pushService.gone(id);
    await oidc.initiateBackchannelAuthentication(await app('pay'), { scope: 'openid', login_hint: 'alice' });
    await expect.poll(async () => (await phone.get('/phone')).text.includes('Notifications are off for this phone.'), { timeout: 20_000 }).toBe(true);
    expect(pushService.refused).toContain('410 gone');
  });
});
