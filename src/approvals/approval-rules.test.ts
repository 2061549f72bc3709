import { describe, expect, it } from 'vitest';

import { hashSecret } from '../security/tokens.js';
import type { Approval } from './approval-record.js';
import { decisionDeadline, decisionOutcome, freshQr, freshTypedCode, newApproval, pendingApproval, previousHandleVerdict, secondsUntil } from './approval-rules.js';
import type { Decision } from './approval-types.js';
import { qrHandleApproval } from './qr-handle.js';

const NOW = 1_000_000;
const START = { uid: 'interaction-uid-1', clientId: 'app', expiresAt: NOW + 600_000, ip: '192.0.2.1', userAgent: 'UA' };

function approval(overrides: Partial<Approval> = {}): Approval {
  return { ...newApproval(START, NOW, freshQr(START.uid, NOW, START.expiresAt, 60)), ...overrides };
}

const approve: Decision = { decision: 'approve', deviceId: 'd', accountId: 'a', amr: ['mca', 'hwk'], acr: 'urn:x', ip: '192.0.2.9' };

describe('pendingApproval', () => {
  it('accepts a waiting approval with a current, unexpired handle, and a claim still in time', () => {
    expect(pendingApproval(approval(), 'handle', NOW).state).toBe('waiting');
    // A claimed request stays answerable past its handle's expiry, until the decision deadline.
    const claimed = approval({ state: 'scanned', decideBy: NOW + 120_000, handleExpiresAt: NOW - 1 });
    expect(pendingApproval(claimed, 'handle', NOW)).toBe(claimed);
  });

  it('holds a typed code to its own lifetime, not the QR\'s', () => {
    const typed = approval({ handleExpiresAt: NOW - 1, typedCodeExpiresAt: NOW + 60_000 });
    expect(pendingApproval(typed, 'typed-code', NOW)).toBe(typed);
    expect(() => pendingApproval(typed, 'handle', NOW)).toThrow(expect.objectContaining({ code: 'qr_expired' }));
  });

  it.each([
    ['no approval', undefined, 'handle', 'approval_expired'],
    ['an expired interaction', approval({ expiresAt: NOW }), 'handle', 'approval_expired'],
    ['a replaced QR past its grace', approval({ previousHandleUntil: NOW }), 'previous-handle', 'qr_expired'],
    ['an expired handle', approval({ handleExpiresAt: NOW }), 'handle', 'qr_expired'],
    ['an expired typed code', approval({ typedCodeExpiresAt: NOW }), 'typed-code', 'qr_expired'],
    ['a claim whose deadline passed', approval({ state: 'scanned', decideBy: NOW, handleExpiresAt: NOW }), 'handle', 'decision_time_over'],
    ['an answered request', approval({ state: 'approved' }), 'handle', 'approval_not_pending'],
    ['a denied request', approval({ state: 'denied' }), 'handle', 'approval_not_pending'],
  ] as const)('refuses %s', (_label, subject, namedBy, code) => {
    expect(() => pendingApproval(subject, namedBy, NOW)).toThrow(expect.objectContaining({ code }));
  });
});

describe('decisionOutcome', () => {
  it('approves with the account and how it was verified', () => {
    expect(decisionOutcome(approval(), approve, NOW)).toEqual({
      fields: { state: 'approved', accountId: 'a', amr: 'mca hwk', acr: 'urn:x', decidedAt: String(NOW) },
      wrongNumber: false,
    });
  });

  it('denies a deny, and an approval with the wrong number where number matching applies', () => {
    expect(decisionOutcome(approval(), { ...approve, decision: 'deny' }, NOW).fields.state).toBe('denied');
    const matching = approval({ numberRequired: true, matchNumber: 42 });
    expect(decisionOutcome(matching, { ...approve, pickedNumber: 41 }, NOW)).toMatchObject({ fields: { state: 'denied' }, wrongNumber: true });
    expect(decisionOutcome(matching, { ...approve, pickedNumber: 42 }, NOW)).toMatchObject({ fields: { state: 'approved' }, wrongNumber: false });
    expect(decisionOutcome(approval({ matchNumber: 42 }), { ...approve, pickedNumber: 7 }, NOW).fields.state).toBe('approved');
  });
});

describe('secondsUntil', () => {
  it('rounds a TTL up to whole seconds and never below one', () => {
    expect(secondsUntil(NOW + 60_000, NOW)).toBe(60);
    expect(secondsUntil(NOW + 60_001, NOW)).toBe(61);
    expect(secondsUntil(NOW, NOW)).toBe(1);
    expect(secondsUntil(NOW - 5_000, NOW)).toBe(1);
  });
});

describe('decisionDeadline and freshQr', () => {
  it('gives the phone its decision time, never past the interaction', () => {
    expect(decisionDeadline(approval(), NOW, 120)).toBe(NOW + 120_000);
    expect(decisionDeadline(approval({ expiresAt: NOW + 5_000 }), NOW, 120)).toBe(NOW + 5_000);
  });

  it('makes a handle that names its approval, stored only as hashes, never outliving the interaction', () => {
    const fresh = freshQr(START.uid, NOW, NOW + 30_000, 60);
    expect(qrHandleApproval(fresh.qr.handle)).toBe(START.uid);
    expect(fresh.handleHash).toBe(hashSecret(fresh.qr.handle));
    expect(fresh.qr.handleExpiresAt).toBe(NOW + 30_000);
    expect(fresh.matchNumber).toBeGreaterThanOrEqual(10);
    expect(fresh.matchNumber).toBeLessThan(100);
    expect(freshQr(START.uid, NOW, NOW + 600_000, 60).qr.handle).not.toBe(fresh.qr.handle);
  });

  it('makes a typed code on a clock of its own, stored only as a hash, never outliving the interaction', () => {
    expect(freshQr(START.uid, NOW, NOW + 30_000, 60).qr.typedCode).toBeUndefined();
    const code = freshTypedCode(NOW, NOW + 600_000, 300);
    expect(code.hash).toBe(hashSecret(code.text.replace('-', '')));
    expect(code.expiresAt).toBe(NOW + 300_000);
    expect(freshTypedCode(NOW, NOW + 30_000, 300).expiresAt).toBe(NOW + 30_000);
  });
});

describe('previousHandleVerdict', () => {
  it('lets the QR a new one replaced open the request for a short grace, unless a phone had opened it and run out of time', () => {
    const old = hashSecret('old');
    const replaced = approval({ previousHandleHash: old, previousHandleUntil: NOW + 10_000 });
    expect(previousHandleVerdict(replaced, old, NOW)).toBe('usable');
    expect(previousHandleVerdict(replaced, old, NOW + 10_000)).toBe('expired');
    expect(previousHandleVerdict(replaced, hashSecret('older'), NOW)).toBe('expired');
    expect(previousHandleVerdict({ ...replaced, previousHandleClaimed: true }, old, NOW)).toBe('decision-time-over');
    expect(previousHandleVerdict({ ...replaced, state: 'scanned' }, old, NOW + 60_000)).toBe('usable');
    expect(previousHandleVerdict({ ...replaced, state: 'denied' }, old, NOW)).toBe('expired');
  });
});
