import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { freePort, waitFor } from '../support/loopback.js';
import { RedisStore } from '../../src/store/redis-store.js';
import { BrowserClient } from '../support/browser-client.js';
import { answerQr, enrolledPhone, readQrPage } from '../support/phone.js';
import { PrivateRedis } from '../support/private-redis.js';
import { RelyingParty } from '../support/relying-party.js';
import { cookieHeader, openEvents } from '../support/sse.js';
import { type RunningQrid, startQrid } from '../support/start-qrid.js';

/** An instance whose events never reach anyone: what a message lost in a pub/sub gap looks like to the others. */
class MutedRedisStore extends RedisStore {
  override async publish(): Promise<void> {}
}

/**
 * Redis pub/sub keeps nothing: a message published while a subscriber's connection is down is
 * lost. A page's new event stream therefore reads the state itself, and a subscriber connection
 * that drops, or stops answering, is replaced and subscribed again by itself.
 */
describe('event streams across pub/sub gaps', () => {
  let redis: PrivateRedis;
  let raw: Redis;
  let storeA: RedisStore;
  let a: RunningQrid;
  let b: RunningQrid;

  beforeAll(async () => {
    redis = new PrivateRedis(await freePort());
    await redis.start();
    raw = new Redis(redis.url);
    storeA = new RedisStore({ url: redis.url, keyPrefix: 'gap:' });
    a = await startQrid({}, { store: storeA });
    b = await startQrid({}, { store: new MutedRedisStore({ url: redis.url, keyPrefix: 'gap:' }) });
  }, 30_000);
  afterAll(async () => {
    await a?.close();
    await b?.close();
    raw?.disconnect();
    await redis?.stop();
  });

  it('a decision whose event was lost reaches a page that opens its stream again; a killed subscriber connection comes back', async () => {
    const { phone } = await enrolledPhone(b);
    const rp = await RelyingParty.discover(a.issuer);
    const desktop = new BrowserClient(a.issuer);
    const waiting = readQrPage(await desktop.follow(await desktop.get(await rp.authorizationUrl())));
    const path = `/interaction/${waiting.uid}/events`;
    const open = () => openEvents(`${a.issuer}${path}`, { Cookie: cookieHeader(desktop.cookies, path) });

    // Approved through B, whose event never reaches A: a new stream on A reads it.
    expect((await answerQr(phone, waiting.qrUrl)).status).toBe(200);
    const caughtUp = await open();
    expect(JSON.parse((await caughtUp.next())?.data as string)).toMatchObject({ state: 'approved' });
    expect(await caughtUp.next()).toBeUndefined();

    // Redis drops A's subscriber connection; A subscribes again by itself and delivers again.
    const got: string[] = [];
    await storeA.subscribe('probe', (message) => got.push(message));
    expect(Number(await raw.client('KILL', 'TYPE', 'pubsub'))).toBeGreaterThanOrEqual(1);
    await waitFor('delivery after the drop', async () => {
      await storeA.publish('probe', 'after');
      return got.length > 0 ? true : undefined;
    }, 10_000);
    expect(got[0]).toBe('after');
  });

  it('replaces a pub/sub connection that stops answering, and delivers on the new one', async () => {
    const store = new RedisStore({ url: redis.url, keyPrefix: 'ping:', pubsubCheckMs: 100, commandTimeoutMs: 300 });
    const subscriberIds = async () =>
      String(await raw.call('CLIENT', 'LIST', 'TYPE', 'pubsub'))
        .split('\n')
        .map((line) => /id=(\d+)/.exec(line)?.[1])
        .filter((id): id is string => Boolean(id));
    try {
      const got: string[] = [];
      await store.subscribe('x', (message) => got.push(message));
      const before = new Set(await subscriberIds());
      // Redis stops answering without closing anything, as a dead network path would. Only this
      // store PINGs often enough to notice, so a pub/sub connection not seen before is its new one.
      await raw.client('PAUSE', '1500', 'ALL');
      await waitFor('a new subscriber connection', async () => ((await subscriberIds()).some((id) => !before.has(id)) ? true : undefined), 15_000);
      await waitFor('delivery on it', async () => {
        await store.publish('x', 'back').catch(() => undefined);
        return got.includes('back') ? true : undefined;
      }, 10_000);
    } finally {
      await store.close();
    }
  });
});
