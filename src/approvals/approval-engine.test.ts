import { describe, expect, it } from 'vitest';

import { createLogger } from '../logging/logger.js';
import { MemoryStore } from '../store/memory-store.js';
import { hashSecret, randomToken } from '../security/tokens.js';
import { ApprovalEngine, type Decision, type QrOptions } from './approval-engine.js';
import { PREVIOUS_HANDLE_GRACE_MS } from './approval-rules.js';

function setup() {
  let now = 1_000_000;
  const store = new MemoryStore({ now: () => now });
  const engine = new ApprovalEngine(store, { handleSeconds: 60, decisionSeconds: 120, typedCodeSeconds: 600 }, createLogger('silent'), () => now);
  const begin = (options?: QrOptions) =>
    engine.start({ uid: `uid-${randomToken()}`, clientId: 'app', expiresAt: now + 600_000, ip: '203.0.113.9', userAgent: 'UA' }, options);
  return { engine, store, begin, advance: (ms: number) => (now += ms) };
}

const decision = (deviceId: string, choice: 'approve' | 'deny' = 'approve'): Decision => ({
  decision: choice,
  deviceId,
  accountId: `account-of-${deviceId}`,
  amr: ['mca'],
  acr: 'urn:qrid:acr:device',
  ip: '198.51.100.1',
});

describe('ApprovalEngine', () => {
  it('runs waiting → scanned → approved, and offers only an approved request to completion', async () => {
    const { engine, begin, advance } = setup();
    const { approval, qr } = await begin();
    expect(approval.state).toBe('waiting');
    expect(qr?.handle).toBe(`${approval.id}.${qr?.handle.split('.')[1]}`);
    expect(qr?.handle.split('.')[1]).toMatch(/^[\w-]{22}$/);
    expect((await engine.claimHandle(qr!.handle, 'd1')).state).toBe('scanned');
    expect(await engine.approvedFor(approval.id)).toBeUndefined();
    const decided = await engine.decideByHandle(qr!.handle, decision('d1'));
    expect(decided).toMatchObject({ state: 'approved', accountId: 'account-of-d1', deviceId: 'd1', amr: ['mca'] });
    expect(await engine.approvedFor(approval.id)).toMatchObject({ state: 'approved', accountId: 'account-of-d1' });
    advance(600_000); // the interaction's deadline: an approval never outlives it
    expect(await engine.approvedFor(approval.id)).toBeUndefined();
  });

  it('accepts only the handles its approval holds: not a forged secret, not a replaced QR past its grace, not one used', async () => {
    const { engine, begin, advance } = setup();
    const { approval, qr } = await begin();
    // Another handle of a live approval is an old QR of it, as far as qrid can tell: "expired".
    await expect(engine.lookupHandle(`${approval.id}.${randomToken()}`)).rejects.toMatchObject({ code: 'qr_expired' });
    await expect(engine.lookupHandle(`uid-${randomToken()}.${qr!.handle.split('.')[1]}`)).rejects.toMatchObject({ code: 'qr_unknown' });
    await expect(engine.lookupHandle('not a handle')).rejects.toMatchObject({ code: 'qr_unknown' });
    const { qr: next } = await engine.issueQr(approval.id);
    advance(PREVIOUS_HANDLE_GRACE_MS);
    await expect(engine.lookupHandle(qr!.handle)).rejects.toMatchObject({ code: 'qr_expired' });
    expect((await engine.lookupHandle(next!.handle)).id).toBe(approval.id);
    await engine.decideByHandle(next!.handle, decision('d1', 'deny'));
    await expect(engine.lookupHandle(next!.handle)).rejects.toMatchObject({ code: 'qr_used' });
  });

  it('keeps only a hash of the handle and the typed code in the store', async () => {
    const { begin, store } = setup();
    const { approval, qr } = await begin({ typedCode: 'new' });
    const code = qr!.typedCode!.replace('-', '');
    const secret = qr!.handle.split('.')[1] as string;
    expect(await store.getRecord(`typed:${hashSecret(code)}`)).toMatchObject({ approvalId: approval.id });
    const stored = JSON.stringify(await store.getRecord(`approval:${approval.id}`));
    expect(stored).toContain(hashSecret(qr!.handle));
    expect(stored).not.toContain(secret);
    expect(stored).not.toContain(code);
  });

  it('lets exactly one of many concurrent decisions win', async () => {
    const { engine, begin } = setup();
    const { qr } = await begin();
    const results = await Promise.allSettled(Array.from({ length: 10 }, () => engine.decideByHandle(qr!.handle, decision('d1'))));
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
  });

  it('starts a denied request over as a new round, whose one decision is again first come', async () => {
    const { engine, begin, store } = setup();
    const { approval, qr } = await begin();
    await engine.decideByHandle(qr!.handle, decision('d1', 'deny'));
    const again = await engine.issueQr(approval.id);
    expect(again.approval).toMatchObject({ state: 'waiting', round: 1, deviceId: '', accountId: '', handleUsed: false });
    // The first round's decision stays with its round: it neither blocks nor counts for this one.
    expect(await store.getRecord(`approval-decision:${approval.id}`)).toMatchObject({ state: 'denied' });
    expect(await engine.approvedFor(approval.id)).toBeUndefined();
    // The first round's QR has no grace after its decision.
    await expect(engine.decideByHandle(qr!.handle, decision('d1'))).rejects.toMatchObject({ code: 'qr_expired' });
    const results = await Promise.allSettled(['d1', 'd2', 'd3'].map((d) => engine.decideByHandle(again.qr!.handle, decision(d))));
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    const winner = (await engine.approvedFor(approval.id))!;
    expect(winner).toMatchObject({ state: 'approved', round: 1 });
    expect(await store.getRecord(`approval-decision:${approval.id}:1`)).toMatchObject({ state: 'approved', deviceId: winner.deviceId });
    // Approved ends it: no third round.
    expect((await engine.issueQr(approval.id)).qr).toBeUndefined();
  });

  it('lets a decision racing a new QR win, and the new QR then decides nothing', async () => {
    const { engine, begin, advance } = setup();
    const { approval, qr } = await begin();
    const seen = await engine.lookupHandle(qr!.handle); // the phone read its valid handle…
    advance(61_000);
    const { qr: next } = await engine.issueQr(approval.id); // …the page rotated meanwhile…
    expect((await engine.decideByHandle(qr!.handle, decision('d1'), seen)).state).toBe('approved'); // …and its decision lands
    expect(await engine.approvedFor(approval.id)).toMatchObject({ deviceId: 'd1' });
    await expect(engine.decideByHandle(next!.handle, decision('d2'))).rejects.toMatchObject({ code: 'approval_not_pending' });
    expect(await engine.approvedFor(approval.id)).toMatchObject({ deviceId: 'd1' });
  });

  it('lets a rotated-out handle open the request for a short grace (a person who scanned just before the change), then calls it expired', async () => {
    const { engine, begin, advance } = setup();
    const { approval, qr: first } = await begin();
    const { qr: second } = await engine.issueQr(approval.id);
    expect((await engine.lookupHandle(first!.handle)).id).toBe(approval.id);
    expect((await engine.claimHandle(first!.handle, 'd1')).state).toBe('scanned');
    expect((await engine.decideByHandle(first!.handle, decision('d1'))).state).toBe('approved');
    expect((await engine.lookupHandle(second!.handle).catch((e: { code: string }) => e.code))).toBe('approval_not_pending');

    const { approval: other, qr: a } = await begin();
    const { qr: b } = await engine.issueQr(other.id);
    advance(PREVIOUS_HANDLE_GRACE_MS);
    await expect(engine.lookupHandle(a!.handle)).rejects.toMatchObject({ code: 'qr_expired' });
    expect((await engine.lookupHandle(b!.handle)).id).toBe(other.id);
  });

  it('expires handles after their lifetime, but not while the scanning phone decides', async () => {
    const { engine, begin, advance } = setup();
    const { approval, qr } = await begin();
    advance(61_000);
    await expect(engine.lookupHandle(qr!.handle)).rejects.toMatchObject({ code: 'qr_expired' });

    const { qr: fresh } = await engine.issueQr(approval.id);
    await engine.claimHandle(fresh!.handle, 'd1');
    advance(90_000); // past the handle's 60 s, inside the 120 s decision time
    expect((await engine.decideByHandle(fresh!.handle, decision('d1'))).state).toBe('approved');
  });

  it('does not rotate while a phone decides, and reopens once its time runs out', async () => {
    const { engine, begin, advance } = setup();
    const { approval, qr } = await begin();
    await engine.claimHandle(qr!.handle, 'd1');
    expect((await engine.issueQr(approval.id)).qr).toBeUndefined();
    advance(121_000);
    const reopened = await engine.issueQr(approval.id);
    expect(reopened.approval).toMatchObject({ state: 'waiting', deviceId: '' });
    expect(reopened.qr).toBeDefined();
    // The phone that sat on the request past its time is told so, not "unknown QR".
    await expect(engine.decideByHandle(qr!.handle, decision('d1'))).rejects.toMatchObject({ code: 'decision_time_over' });
  });

  it('binds the request to the first device and refuses others', async () => {
    const { engine, begin } = setup();
    const { qr } = await begin();
    await engine.claimHandle(qr!.handle, 'd1');
    await expect(engine.claimHandle(qr!.handle, 'd2')).rejects.toMatchObject({ code: 'approval_claimed' });
    await expect(engine.decideByHandle(qr!.handle, decision('d2'))).rejects.toMatchObject({ code: 'approval_claimed' });
    // d2's attempt did not burn the handle for d1.
    expect((await engine.decideByHandle(qr!.handle, decision('d1'))).state).toBe('approved');
  });

  it('makes a typed code only when asked; a new QR keeps it if asked to, and withdraws it otherwise', async () => {
    const { engine, begin, store } = setup();
    const plain = await begin();
    expect(plain.qr?.typedCode).toBeUndefined();
    expect(plain.approval.typedCodeHash).toBe('');
    expect(await store.getRecord(`approval:${plain.approval.id}`)).not.toHaveProperty('typedCodeHash');

    const asked = await engine.issueQr(plain.approval.id, { typedCode: 'new' });
    const code = asked.qr!.typedCode!.replace('-', '');
    expect(asked.approval.typedCodeHash).toBe(hashSecret(code));
    // The page shows the code: a new QR keeps it (a person may be typing it right now).
    const kept = await engine.issueQr(plain.approval.id, { typedCode: 'keep' });
    expect(kept.qr?.typedCode).toBeUndefined();
    expect(kept.approval.typedCodeHash).toBe(hashSecret(code));
    expect(await store.getRecord(`typed:${hashSecret(code)}`)).toMatchObject({ approvalId: plain.approval.id });
    const { qr: next } = await engine.issueQr(plain.approval.id);
    expect(next?.typedCode).toBeUndefined();
    expect(await store.getRecord(`typed:${hashSecret(code)}`)).toBeUndefined();
    await expect(engine.claimTypedCode(code, 'd1')).rejects.toMatchObject({ code: 'typed_code_invalid' });
  });

  it('accepts a typed code once, then decides as the claiming device', async () => {
    const { engine, begin } = setup();
    const { approval, qr } = await begin({ typedCode: 'new' });
    const code = qr!.typedCode!.replace('-', '');
    expect((await engine.claimTypedCode(code, 'd1')).state).toBe('scanned');
    await expect(engine.claimTypedCode(code, 'd1')).rejects.toMatchObject({ code: 'qr_used' });
    await expect(engine.claimTypedCode('BCDFGHJK', 'd1')).rejects.toMatchObject({ code: 'typed_code_invalid' });
    await expect(engine.decideClaimed(approval.id, decision('d2'))).rejects.toMatchObject({ code: 'approval_claimed' });
    expect((await engine.decideClaimed(approval.id, decision('d1', 'deny'))).state).toBe('denied');
    await expect(engine.decideClaimed(approval.id, decision('d1'))).rejects.toMatchObject({ code: 'approval_not_pending' });
    expect(await engine.approvedFor(approval.id)).toBeUndefined();
  });

  it('reports expiry with the interaction and publishes state changes without personal data', async () => {
    const { engine, begin, advance } = setup();
    const { approval, qr } = await begin();
    const seen: unknown[] = [];
    const unsubscribe = await engine.events.subscribe(approval.id, (status) => seen.push(status));
    await engine.claimHandle(qr!.handle, 'd1');
    await engine.decideByHandle(qr!.handle, decision('d1'));
    await new Promise((resolve) => setImmediate(resolve));
    await new Promise((resolve) => setImmediate(resolve));
    expect(seen).toEqual([{ state: 'scanned', decideBy: expect.any(Number) }, { state: 'approved' }]);
    await unsubscribe();
    expect(engine.status(await engine.get(approval.id))).toEqual({ state: 'approved' });
    advance(601_000);
    expect(engine.status(await engine.get(approval.id))).toEqual({ state: 'expired' });
    expect(engine.status(undefined)).toEqual({ state: 'expired' });
  });

  it('claims and decides in one step for a phone that did not report the scan, and the handle is then used', async () => {
    const { engine, begin, store } = setup();
    const { approval, qr } = await begin();
    const seen: unknown[] = [];
    const unsubscribe = await engine.events.subscribe(approval.id, (status) => seen.push(status));
    const pending = await engine.lookupHandle(qr!.handle);
    const decided = await engine.decideByHandle(qr!.handle, decision('d1'), pending);
    expect(decided).toMatchObject({ state: 'approved', deviceId: 'd1', handleUsed: true, accountId: 'account-of-d1' });
    await new Promise((resolve) => setImmediate(resolve));
    expect(seen).toEqual([{ state: 'approved' }]);
    await unsubscribe();
    await expect(engine.lookupHandle(qr!.handle)).rejects.toMatchObject({ code: 'qr_used' });
    // The stale copy read before the decision cannot decide again.
    await expect(engine.decideByHandle(qr!.handle, decision('d1'), pending)).rejects.toMatchObject({ code: 'qr_used' });
    // The decision is a record of its own, created once; the approval's record is not rewritten.
    expect(await store.getRecord(`approval-decision:${approval.uid}`)).toMatchObject({ state: 'approved', deviceId: 'd1', usedHandle: hashSecret(qr!.handle) });
    expect(await store.getRecord(`approval:${approval.uid}`)).toMatchObject({ state: 'waiting' });
  });

  it('a page opened again keeps its approval and gets a fresh QR', async () => {
    const { engine } = setup();
    const input = { uid: 'uid-again', clientId: 'app', expiresAt: 1_000_000 + 600_000, ip: '203.0.113.9', userAgent: 'UA' };
    const first = await engine.start(input);
    const again = await engine.start(input);
    expect(again.approval.id).toBe(first.approval.id);
    expect(again.qr?.handle).not.toBe(first.qr?.handle);
    expect((await engine.lookupHandle(first.qr!.handle)).id).toBe('uid-again'); // within the grace
    expect((await engine.lookupHandle(again.qr!.handle)).id).toBe('uid-again');
  });
});
