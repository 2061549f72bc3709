import { describe, expect, it } from 'vitest';

import { MemoryStore } from '../store/memory-store.js';
import { type SessionRecord, SessionRecords } from './session-records.js';

const TTL = 100;

function session(uid: string, deviceId = 'dev-1'): SessionRecord {
  return { uid, accountId: 'acct', deviceId, approvalId: `ap-${uid}`, userAgent: 'UA', ip: '192.0.2.1', startedAt: 1, lastUsedAt: 1, amr: ['mca'] };
}

function fixture() {
  let now = 1_000_000;
  const store = new MemoryStore({ now: () => now });
  return { store, records: new SessionRecords(store, TTL), advance: (seconds: number) => (now += seconds * 1000) };
}

describe('SessionRecords', () => {
  it('records a session once and lists it for its account and device', async () => {
    const { records } = fixture();
    expect(await records.save(session('s1'))).toBe(true);
    expect(await records.save({ ...session('s1'), deviceId: 'other' })).toBe(false);
    await records.save(session('s2', 'dev-2'));
    expect((await records.ofAccount('acct')).sort()).toEqual(['s1', 's2']);
    expect(await records.forDevice({ id: 'dev-1', userId: 'acct' })).toEqual(['s1']);
    expect((await records.find('s1'))?.deviceId).toBe('dev-1');
  });

  it('keeps a session that is used again in its account index after its first lifetime', async () => {
    const { records, advance } = fixture();
    await records.save(session('s1'));
    advance(TTL * 0.8);
    await records.touch('s1', 'acct');
    advance(TTL * 0.8); // past the first save's lifetime, within the touch's
    expect(await records.find('s1')).toBeDefined();
    expect(await records.ofAccount('acct')).toEqual(['s1']);
  });

  it('keeps the index as long as its longest-lived session, then lets both go', async () => {
    const { records, advance } = fixture();
    await records.save(session('s1'));
    advance(TTL * 0.5);
    await records.save(session('s2'));
    advance(TTL * 0.7); // s1 has expired, s2 has not
    expect(await records.find('s1')).toBeUndefined();
    expect((await records.ofAccount('acct')).sort()).toEqual(['s1', 's2']); // readers check the records
    expect(await records.forDevice({ id: 'dev-1', userId: 'acct' })).toEqual(['s2']);
    advance(TTL * 0.5);
    expect(await records.ofAccount('acct')).toEqual([]);
  });

  it('does not bring back the index entry of a session that has ended', async () => {
    const { records } = fixture();
    await records.save(session('s1'));
    await records.remove('s1', 'acct');
    await records.touch('s1', 'acct');
    expect(await records.find('s1')).toBeUndefined();
    expect(await records.ofAccount('acct')).toEqual([]);
  });
});
