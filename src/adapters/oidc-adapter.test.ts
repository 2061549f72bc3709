import { randomBytes } from 'node:crypto';

import { afterAll, describe, expect, it } from 'vitest';

import { MemoryStore } from '../store/memory-store.js';
import { createRedisStore } from '../store/redis-store.js';
import type { Store } from '../store/store.js';
import { createOidcAdapter } from './oidc-adapter.js';

const stores: Array<[string, () => Store]> = [
  ['memory', () => new MemoryStore()],
  [
    'redis',
    () => createRedisStore({ url: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379', keyPrefix: `qrid-test:adapter:${randomBytes(4).toString('hex')}:` }),
  ],
];

describe.each(stores)('oidc-provider adapter on the %s store', (_name, open) => {
  const store = open();
  const Adapter = createOidcAdapter(store, (model) => (model === 'AuthorizationCode' ? 60 : 3600));
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
    const grantId = `g-${randomBytes(4).toString('hex')}`;
    await codes.upsert('code', { jti: 'code', grantId, kind: 'AuthorizationCode' }, 60);
    await new Adapter('Grant').upsert(grantId, { jti: grantId, kind: 'Grant' }, 600);
    const results = await Promise.allSettled(Array.from({ length: 8 }, () => codes.consume('code')));
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    for (const r of results.filter((r) => r.status === 'rejected')) {
      expect((r as PromiseRejectedResult).reason).toMatchObject({ error: 'invalid_grant' });
    }
    expect(await new Adapter('Grant').find(grantId)).toBeUndefined();
  });

  it('marks consumed payloads for oidc-provider to see', async () => {
    const codes = new Adapter('AuthorizationCode');
    await codes.upsert('c2', { jti: 'c2', kind: 'AuthorizationCode' }, 60);
    expect((await codes.find('c2'))?.consumed).toBeUndefined();
    await codes.consume('c2');
    expect((await codes.find('c2'))?.consumed).toEqual(expect.any(Number));
    // The mark outlives nothing it marks: its lifetime is the model's, and it goes with the record.
    expect(await store.ttl('oidc:AuthorizationCode:c2:consumed')).toBeLessThanOrEqual(60);
    await codes.destroy('c2');
    expect(await store.getRecord('oidc:AuthorizationCode:c2:consumed')).toBeUndefined();
  });

  // What makes the tokens unusable is oidc-provider refusing tokens without a grant: that is
  // tested end to end in test/security ([12]: replayed code → userinfo, introspection, refresh).
  it('revokes a grant by deleting its record, whichever model is asked', async () => {
    const grantId = `g-${randomBytes(4).toString('hex')}`;
    const grants = new Adapter('Grant');
    await grants.upsert(grantId, { jti: grantId, kind: 'Grant' }, 600);
    await new Adapter('AccessToken').upsert('a1', { jti: 'a1', grantId }, 60);
    await new Adapter('RefreshToken').revokeByGrantId(grantId);
    expect(await grants.find(grantId)).toBeUndefined();
  });

  it('finds sessions by uid until they are destroyed', async () => {
    const sessions = new Adapter('Session');
    await sessions.upsert('s1', { jti: 's1', uid: 'u1', accountId: 'a', kind: 'Session' }, 60);
    expect(await sessions.findByUid('u1')).toMatchObject({ jti: 's1' });
    await sessions.destroy('s1');
    expect(await sessions.findByUid('u1')).toBeUndefined();
    expect(await sessions.find('s1')).toBeUndefined();
  });

  it('stores a session once, under its uid, with its id pointing there', async () => {
    const sessions = new Adapter('Session');
    await sessions.upsert('s2', { jti: 's2', uid: 'u2', accountId: 'a', kind: 'Session' }, 60);
    expect(JSON.parse((await store.getRecord('oidc:session-uid:u2'))?.payload ?? '{}')).toMatchObject({ jti: 's2', accountId: 'a' });
    expect(await store.getRecord('oidc:Session:s2')).toEqual({ uid: 'u2' });
    expect(await store.ttl('oidc:Session:s2')).toBeLessThanOrEqual(60);
    expect(await sessions.find('s2')).toMatchObject({ jti: 's2', uid: 'u2' });
  });

  it('follows a session whose id changed (oidc-provider destroys the old id, then saves the new)', async () => {
    const sessions = new Adapter('Session');
    await sessions.upsert('old-id', { jti: 'old-id', uid: 'u3', accountId: 'a', kind: 'Session' }, 60);
    await sessions.destroy('old-id');
    await sessions.upsert('new-id', { jti: 'new-id', uid: 'u3', accountId: 'b', kind: 'Session' }, 60);
    expect(await sessions.find('old-id')).toBeUndefined();
    expect(await sessions.find('new-id')).toMatchObject({ accountId: 'b' });
    expect(await sessions.findByUid('u3')).toMatchObject({ jti: 'new-id' });
  });

  it('finds nothing through an id whose uid now holds another session, and destroying it spares that session', async () => {
    const sessions = new Adapter('Session');
    await sessions.upsert('stale', { jti: 'stale', uid: 'u4', accountId: 'a', kind: 'Session' }, 60);
    await sessions.upsert('current', { jti: 'current', uid: 'u4', accountId: 'a', kind: 'Session' }, 60);
    expect(await sessions.find('stale')).toBeUndefined();
    await sessions.destroy('stale');
    expect(await sessions.findByUid('u4')).toMatchObject({ jti: 'current' });
    expect(await sessions.find('current')).toMatchObject({ jti: 'current' });
  });

  it('reads and destroys sessions stored by an earlier version (payload under the id)', async () => {
    const sessions = new Adapter('Session');
    await store.putRecord('oidc:Session:v1', { payload: JSON.stringify({ jti: 'v1', uid: 'u5', accountId: 'a', kind: 'Session' }) }, 60);
    await store.putRecord('oidc:session-uid:u5', { id: 'v1' }, 60);
    expect(await sessions.find('v1')).toMatchObject({ uid: 'u5' });
    expect(await sessions.findByUid('u5')).toMatchObject({ jti: 'v1' });
    await sessions.destroy('v1');
    expect(await sessions.findByUid('u5')).toBeUndefined();
    expect(await store.getRecord('oidc:Session:v1')).toBeUndefined();
  });

  it('finds device codes by user code', async () => {
    const deviceCodes = new Adapter('DeviceCode');
    await deviceCodes.upsert('d1', { jti: 'd1', userCode: 'WXYZ-BCDF' }, 60);
    expect(await deviceCodes.findByUserCode('WXYZ-BCDF')).toMatchObject({ jti: 'd1' });
  });
});
