import { describe, expect, it } from 'vitest';

import { MemoryStore } from '../store/memory-store.js';
import { type SessionRecord, SessionRecords } from './session-records.js';

const TTL = 100;

function session(uid: string, deviceId = 'dev-1', at = 1_000_000): SessionRecord {
  return { uid, accountId: 'acct', deviceId, approvalId: `ap-${uid}`, userAgent: 'UA', ip: '192.0.2.1', startedAt: at, lastUsedAt: at, amr: ['mca'] };
}

function fixture() {
  let now = 1_000_000;
  const store = new MemoryStore({ now: () => now });
  return { store, records: new SessionRecords(store, TTL, () => now), at: () => now, advance: (seconds: number) => (now += seconds * 1000) };
}

describe('SessionRecords', () => {
  it('records a session once and lists it for its account and device', async () => {
    const { records, store } = fixture();
    expect(await records.save(session('s1'))).toBe(true);
    expect(await records.save({ ...session('s1'), deviceId: 'other' })).toBe(false);
    await records.save(session('s2', 'dev-2'));
    expect((await records.ofAccount('acct')).sort()).toEqual(['s1', 's2']);
    expect(await records.forDevice({ id: 'dev-1', userId: 'acct' })).toEqual(['s1']);
    expect((await records.find('s1', 'acct'))?.deviceId).toBe('dev-1');
    expect(await records.find('s1', 'someone-else')).toBeUndefined();
    // One key per account: the records are the entries of the account's map.
    expect([...(await store.mapEntries('account-session-records:acct')).keys()].sort()).toEqual(['s1', 's2']);
  });

  it('keeps a session that is used again in its account index after its first lifetime', async () => {
    const { records, advance } = fixture();
    await records.save(session('s1'));
    advance(TTL * 0.8);
    await records.touch('s1', 'acct');
    advance(TTL * 0.8); // past the first save's lifetime, within the touch's
    expect(await records.find('s1', 'acct')).toBeDefined();
    expect(await records.ofAccount('acct')).toEqual(['s1']);
  });

  it('drops each record when it runs out, and the map with the longest-lived one', async () => {
    const { records, store, at, advance } = fixture();
    await records.save(session('s1'));
    advance(TTL * 0.5);
    await records.save(session('s2', 'dev-1', at()));
    advance(TTL * 0.7); // s1 has run out, s2 has not
    expect(await records.find('s1', 'acct')).toBeUndefined();
    expect(await records.ofAccount('acct')).toEqual(['s2']);
    expect(await records.forDevice({ id: 'dev-1', userId: 'acct' })).toEqual(['s2']);
    expect([...(await store.mapEntries('account-session-records:acct')).keys()]).toEqual(['s2']); // pruned on the way
    advance(TTL * 0.5);
    expect(await records.ofAccount('acct')).toEqual([]);
    expect(await store.ttl('account-session-records:acct')).toBeUndefined();
  });

  it('does not bring back the index entry of a session that has ended', async () => {
    const { records } = fixture();
    await records.save(session('s1'));
    await records.remove('s1', 'acct');
    await records.touch('s1', 'acct');
    expect(await records.find('s1', 'acct')).toBeUndefined();
    expect(await records.ofAccount('acct')).toEqual([]);
  });

  it('still lists, touches and removes sessions recorded in the layout before record maps', async () => {
    const { records, store, at, advance } = fixture();
    const old = { uid: 'old', accountId: 'acct', deviceId: 'dev-1', approvalId: 'ap-old', userAgent: 'UA', ip: '192.0.2.1', startedAt: String(at()), lastUsedAt: String(at()), amr: 'mca' };
    await store.putRecord('session-record:old', old, TTL);
    await store.addToIndex('account-sessions:acct', 'old', TTL);
    await records.save(session('new', 'dev-2'));
    expect((await records.ofAccount('acct')).sort()).toEqual(['new', 'old']);
    expect(await records.forDevice({ id: 'dev-1', userId: 'acct' })).toEqual(['old']);
    expect((await records.find('old', 'acct'))?.approvalId).toBe('ap-old');
    expect(await records.find('old', 'someone-else')).toBeUndefined();

    advance(TTL * 0.8);
    await records.touch('old', 'acct');
    advance(TTL * 0.8);
    expect(await records.ofAccount('acct')).toEqual(['old']);
    await records.remove('old', 'acct');
    expect(await records.ofAccount('acct')).toEqual([]);
    expect(await store.getRecord('session-record:old')).toBeUndefined();
  });
});
