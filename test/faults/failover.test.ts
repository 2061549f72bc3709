import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { loadConfig } from '../../src/config/load.js';
import { createLogger } from '../../src/logging/logger.js';
import { createStore } from '../../src/store/create-store.js';
import { BrowserClient } from '../support/browser-client.js';
import { waitFor } from '../support/loopback.js';
import { answerQr, enrolledPhone } from '../support/phone.js';
import { ClusterSetup, replicated, SentinelSetup } from '../support/redis-topologies.js';
import { RelyingParty } from '../support/relying-party.js';
import { completeToCallback, openQrPage, signIn } from '../support/sign-in.js';
import { cookieHeader, openEvents } from '../support/sse.js';
import { type RunningQrid, startQrid } from '../support/start-qrid.js';

/**
 * Two qrid instances on a Redis that fails over: Sentinel (master, replica, three sentinels)
 * and Cluster (three masters with a replica each), all on loopback. A sign-in waits on one
 * instance while the master it uses is killed; after the failover the phone approves through
 * the other instance, and the waiting page hears it on the stream it already had open, without
 * a reload. Codes stay single use and rate limits keep counting across the failover.
 */
for (const kind of ['sentinel', 'cluster'] as const) {
  describe(`failover: Redis ${kind}`, () => {
    const topology = kind === 'sentinel' ? new SentinelSetup() : new ClusterSetup();
    let a: RunningQrid;
    let b: RunningQrid;

    beforeAll(async () => {
      await topology.start();
      const store =
        topology instanceof SentinelSetup
          ? { kind: 'redis', key_prefix: `qrid-${kind}:`, sentinel: { name: topology.name, nodes: topology.sentinels.map((port) => ({ host: '127.0.0.1', port })) } }
          : { kind: 'redis', key_prefix: `qrid-${kind}:`, cluster: { nodes: topology.ports.slice(0, 3).map((port) => ({ host: '127.0.0.1', port })) } };
      const instance = async () => {
        const config = loadConfig({ env: {}, raw: { issuer: 'http://localhost:1', cookie_keys: ['test-cookie-key-0123456789abcdef-0123456789'], store } });
        return startQrid({ store, rate_limits: { qr_per_ip: 1000 } }, { store: createStore(config, createLogger('silent')) });
      };
      a = await instance();
      b = await instance();
    }, 120_000);
    afterAll(async () => {
      await a?.close();
      await b?.close();
      await topology.stop();
    });

    it('signs in across the two instances', async () => {
      const { phone } = await enrolledPhone(b);
      const rp = await RelyingParty.discover(a.issuer);
      const desktop = new BrowserClient(a.issuer);
      const waiting = await openQrPage(desktop, rp);
      await answerQr(phone, waiting.qrUrl);
      const page = await completeToCallback(desktop, waiting);
      expect((await rp.redeem(page.location as string)).claims()?.sub).toBeTruthy();
    });

    it('completes a sign-in that was waiting while the master was killed, without a reload; subscriptions come back; codes stay single use and counts keep counting', async () => {
      const { phone } = await enrolledPhone(b);
      const rp = await RelyingParty.discover(a.issuer);
      const earlier = new RelyingParty(rp);
      const code = await signIn(new BrowserClient(a.issuer), phone, earlier);
      await earlier.redeem(code);
      // A rate-limit counter (the same store call every limit uses), three attempts in.
      for (let i = 1; i <= 3; i += 1) expect(await a.store.increment('rate:failover-test:ip:198.51.100.1', 600)).toBe(i);
      // A subscription of each instance, made before the failover.
      const heard = { a: [] as string[], b: [] as string[] };
      await a.store.subscribe('failover-probe', (message) => heard.a.push(message));
      await b.store.subscribe('failover-probe', (message) => heard.b.push(message));

      const desktop = new BrowserClient(a.issuer);
      const waiting = await openQrPage(desktop, rp);
      const path = `/interaction/${waiting.uid}/events`;
      const stream = await openEvents(`${a.issuer}${path}`, { Cookie: cookieHeader(desktop.cookies, path) });
      expect(JSON.parse((await stream.next())?.data as string)).toMatchObject({ state: 'waiting' });

      // Redis replicates asynchronously: what reached no replica dies with its master
      // (docs/operations.md). The test kills a master only once its replica has it all.
      if (topology instanceof SentinelSetup) {
        await replicated(await topology.currentMaster());
        await topology.failover();
      } else {
        await topology.replicated();
        // The node carrying a subscriber goes (a topology change for pub/sub), and a master goes.
        const subscriberNode = await topology.subscriberNode();
        const masters = await topology.masters();
        if (subscriberNode !== undefined) await topology.kill(subscriberNode);
        if (subscriberNode === undefined || !masters.includes(subscriberNode)) await topology.kill();
      }

      // The phone approves through the other instance as soon as the store answers again.
      await waitFor('an approval after the failover', async () => ((await answerQr(phone, waiting.qrUrl).catch(() => undefined))?.status === 200 ? true : undefined), 60_000);
      let event = await stream.next(60_000);
      while (event && JSON.parse(event.data).state !== 'approved') event = await stream.next(60_000);
      expect(event && JSON.parse(event.data)).toMatchObject({ state: 'approved' });
      stream.close();
      const page = await completeToCallback(desktop, waiting);
      expect((await rp.redeem(page.location as string)).claims()?.sub).toBeTruthy();
      // The code redeemed before the failover is still spent; the counter goes on from three.
      await expect(earlier.redeem(code)).rejects.toMatchObject({ error: 'invalid_grant' });
      expect(await b.store.increment('rate:failover-test:ip:198.51.100.1', 600)).toBe(4);
      // Each instance's subscription hears the other again, without anyone subscribing anew
      // (on Cluster, one of them was on the node that was killed).
      await waitFor('pub/sub after the failover', async () => {
        await b.store.publish('failover-probe', 'from b');
        await a.store.publish('failover-probe', 'from a');
        return heard.a.includes('from b') && heard.b.includes('from a') ? true : undefined;
      }, 60_000);
    }, 240_000);
  });
}
