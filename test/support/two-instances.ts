import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import type { Redis } from 'ioredis';
import { afterAll, beforeAll } from 'vitest';

import { LoadBalancer } from './load-balancer.js';
import { freePort } from './loopback.js';
import { type QridProcess, startQridProcess, writeConfig } from './qrid-process.js';
import { deletePrefix, REDIS_URL, requireRedis, testPrefix } from './redis.js';

export interface TwoInstances {
  /** Routes by `X-Backend: a|b` (see load-balancer.ts); its address is the issuer. */
  lb: LoadBalancer;
  a: QridProcess;
  b: QridProcess;
  issuer: string;
  /** The Redis key prefix both use (removed at the end). */
  prefix: string;
}

/**
 * A describe block's two qrid processes on the test Redis, with one configuration, behind the
 * test load balancer; started before its tests, stopped after them. Read the fields inside
 * tests only.
 */
export function withTwoInstances(name: string): TwoInstances {
  const fixture = { lb: new LoadBalancer(), prefix: testPrefix(name) } as TwoInstances;
  let raw: Redis;
  beforeAll(async () => {
    raw = await requireRedis();
    await fixture.lb.start();
    fixture.issuer = `http://localhost:${fixture.lb.port}`;
    const config = writeConfig(mkdtempSync(join(tmpdir(), `qrid-${name}-`)), { issuer: fixture.issuer, redisUrl: REDIS_URL, prefix: fixture.prefix });
    [fixture.a, fixture.b] = await Promise.all([startQridProcess(await freePort(), config), startQridProcess(await freePort(), config)]);
    fixture.lb.backends.set('a', fixture.a.port);
    fixture.lb.backends.set('b', fixture.b.port);
  }, 60_000);
  afterAll(async () => {
    await Promise.all([fixture.a?.stop('SIGKILL'), fixture.b?.stop('SIGKILL')]);
    await fixture.lb.stop();
    if (raw) {
      await deletePrefix(raw, fixture.prefix);
      await raw.quit();
    }
  });
  return fixture;
}
