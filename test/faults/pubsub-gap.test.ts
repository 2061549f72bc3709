import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { freePort, waitFor } from '../../bench/loopback.js';
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
 * A new event stream skips its catch-up read only while its instance's pub/sub subscription
 * has delivered without a gap since the page was rendered. Once Redis drops that connection,
 * a page from before the drop is caught up from the store again.
 */
describe('event stream catch-up across a pub/sub gap', () => {
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
    // Both instances in this process share one clock: no skew to allow for.
    a = await startQrid({ store: { clock_skew_ms: 0 } }, { store: storeA });
    b = await startQrid({ store: { clock_skew_ms: 0 } }, { store: new MutedRedisStore({ url: redis.url, keyPrefix: 'gap:' }) });
    await waitFor('A vouching for its pub/sub', async () => storeA.deliveringSince(), 5_000);
  }, 30_000);
  afterAll(async () => {
    await a?.close();
    await b?.close();
    raw?.disconnect();
    await redis?.stop();
  });

  it('trusts the log while delivery is unbroken, and reads the store for a page from before a drop', async () => {
    await new Promise((resolve) => setTimeout(resolve, 5));
    const { phone } = await enrolledPhone(b);
    const rp = await RelyingParty.discover(a.issuer);
    const desktop = new BrowserClient(a.issuer);
    const waiting = readQrPage(await desktop.follow(await desktop.get(await rp.authorizationUrl())));
    const path = `/interaction/${waiting.uid}/events`;
    const open = () => openEvents(`${a.issuer}${path}?since=${waiting.eventsSince}`, { Cookie: cookieHeader(desktop.cookies, path) });

    // Approved through B, whose event never reaches A.
    expect((await answerQr(phone, waiting.qrUrl)).status).toBe(200);
    // A's log saw nothing and vouches for unbroken delivery, so it answers "nothing happened"
    // without reading: the price of the skipped read is trusting Redis pub/sub while connected.
    const trusting = await open();
    await expect(trusting.next(300)).rejects.toThrow('no event in time');
    trusting.close();

    const killedAt = Date.now();
    expect(Number(await raw.client('KILL', 'TYPE', 'pubsub'))).toBeGreaterThanOrEqual(1);
    // Back once Redis confirmed the subscription again on the new connection, and only then.
    await waitFor('A vouching again', async () => ((storeA.deliveringSince() ?? 0) > killedAt ? true : undefined), 5_000);

    const caughtUp = await open();
    expect(JSON.parse((await caughtUp.next())?.data as string)).toMatchObject({ state: 'approved' });
    expect(await caughtUp.next()).toBeUndefined();

    // And the resubscribed connection delivers again.
    const got: string[] = [];
    const unsubscribe = await storeA.subscribePrefix('probe:', (channel, message) => got.push(`${channel} ${message}`));
    await storeA.publish('probe:x', 'after');
    await waitFor('delivery after the drop', async () => (got.length > 0 ? true : undefined), 5_000);
    expect(got).toEqual(['probe:x after']);
    await unsubscribe();
  });

  it('stops vouching for a pub/sub connection that stops answering, and vouches again once it answers', async () => {
    const store = new RedisStore({ url: redis.url, keyPrefix: 'ping:', pubsubCheckMs: 100, commandTimeoutMs: 300 });
    try {
      await store.subscribe('x', () => undefined);
      expect(store.deliveringSince()).toBeTypeOf('number');
      // Redis stops answering without closing anything, as a dead network path would.
      const pausedAt = Date.now();
      await raw.client('PAUSE', '2000', 'ALL');
      await waitFor('the unanswered PING noticed', async () => (store.deliveringSince() === undefined ? true : undefined), 1_900);
      await waitFor('vouching again', async () => ((store.deliveringSince() ?? 0) > pausedAt + 1_000 ? true : undefined), 10_000);
    } finally {
      await store.close();
    }
  });
});
