import { randomBytes } from 'node:crypto';

import { afterAll, describe, expect, it } from 'vitest';

import { MemoryStore } from '../store/memory-store.js';
import { createRedisStore } from '../store/redis-store.js';
import type { Store } from '../store/store.js';
import { accountSessionsKey, createOidcAdapter } from './oidc-adapter.js';

const stores: Array<[string, () => Store]> = [
  ['memory', () => new MemoryStore()],
  [
    'redis',
    () => createRedisStore({ url: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379', keyPrefix: `qrid-test:adapter:${randomBytes(4).toString('hex')}:` }),
  ],
];

describe.each(stores)('oidc-provider adapter on the %s store', (_name, open) => {
  const store = open();
  const Adapter = createOidcAdapter(store);
  afterAll(async () => {
    await store.close();
  });

  it('stores, finds and destroys payloads with their TTL', async () => {
    const codes = new Adapter('AuthorizationCode');
    await codes.upsert('c1', { jti: 'c1', grantId: 'g-ttl', accountId: 'a', kind: 'AuthorizationCode' }, 60);
    expect(await codes.find('c1')).toMatchObject({ jti: 'c1', grantId: 'g-ttl' });
    expect(await store.ttl('oidc:AuthorizationCode:c1')).toBeLessThanOrEqual(60);
    await codes.destroy('c1');
    expect(await codes.find('c1')).toBeUndefined();
  });

  it('consumes once under concurrency; the losers revoke the grant', async () => {
    const codes = new Adapter('AuthorizationCode');
    const tokens = new Adapter('AccessToken');
    const grantId = `g-${randomBytes(4).toString('hex')}`;
    await codes.upsert('code', { jti: 'code', grantId, kind: 'AuthorizationCode' }, 60);
    await tokens.upsert('at', { jti: 'at', grantId, kind: 'AccessToken' }, 60);
    const results = await Promise.allSettled(Array.from({ length: 8 }, () => codes.consume('code')));
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    for (const r of results.filter((r) => r.status === 'rejected')) {
      expect((r as PromiseRejectedResult).reason).toMatchObject({ error: 'invalid_grant' });
    }
    expect(await tokens.find('at')).toBeUndefined();
    expect(await codes.find('code')).toBeUndefined();
  });

  it('marks consumed payloads for oidc-provider to see', async () => {
    const codes = new Adapter('AuthorizationCode');
    await codes.upsert('c2', { jti: 'c2', kind: 'AuthorizationCode' }, 60);
    await codes.consume('c2');
    expect((await codes.find('c2'))?.consumed).toEqual(expect.any(Number));
  });

  it('revokes every token of a grant and the index with them', async () => {
    const grantId = `g-${randomBytes(4).toString('hex')}`;
    const access = new Adapter('AccessToken');
    const refresh = new Adapter('RefreshToken');
    await access.upsert('a1', { jti: 'a1', grantId }, 60);
    await refresh.upsert('r1', { jti: 'r1', grantId }, 600);
    expect(await store.ttl(`oidc:grant:${grantId}`)).toBeGreaterThan(500);
    await access.revokeByGrantId(grantId);
    expect(await access.find('a1')).toBeUndefined();
    expect(await refresh.find('r1')).toBeUndefined();
    expect(await store.indexMembers(`oidc:grant:${grantId}`)).toEqual([]);
  });

  it('finds sessions by uid and indexes them per account', async () => {
    const sessions = new Adapter('Session');
    const accountId = `acct-${randomBytes(4).toString('hex')}`;
    await sessions.upsert('s1', { jti: 's1', uid: 'u1', accountId, kind: 'Session' }, 60);
    expect(await sessions.findByUid('u1')).toMatchObject({ jti: 's1' });
    expect(await store.indexMembers(accountSessionsKey(accountId))).toEqual(['u1']);
    await sessions.destroy('s1');
    expect(await sessions.findByUid('u1')).toBeUndefined();
    expect(await store.indexMembers(accountSessionsKey(accountId))).toEqual([]);
  });

  it('finds device codes by user code', async () => {
    const deviceCodes = new Adapter('DeviceCode');
    await deviceCodes.upsert('d1', { jti: 'd1', userCode: 'WXYZ-BCDF' }, 60);
    expect(await deviceCodes.findByUserCode('WXYZ-BCDF')).toMatchObject({ jti: 'd1' });
  });
});
