import { randomInt } from 'node:crypto';

import { formatTypedCode, hashSecret, typedCode } from '../security/tokens.js';
import type { Fields } from '../store/store.js';
import { approvalErrors } from './approval-errors.js';
import { type Approval, type ApprovalState, effectiveState } from './approval-record.js';
import type { Decision, FreshQr, FreshTypedCode, StartInput } from './approval-types.js';
import { makeQrHandle } from './qr-handle.js';

/**
 * The approval engine's rules that need no store: what a phone may still act on, what a
 * decision writes, what a new QR is. The engine applies them to what it read and writes the
 * result with a conditional patch.
 */

/** How a phone named the request: the current QR handle, the previous one (within its grace), the typed code, or by being the requesting browser. */
export type NamedBy = 'handle' | 'previous-handle' | 'typed-code' | 'on-device' | 'inbox';

/**
 * The approval a handle or code named, if it can still be answered, or the error that says
 * what actually happened: the whole sign-in expired, this QR was replaced (expired), the phone
 * that opened it let its time to decide run out, or it was answered already.
 */
export function pendingApproval(approval: Approval | undefined, namedBy: NamedBy, now: number): Approval {
  if (!approval || effectiveState(approval, now) === 'expired') throw approvalErrors.expired();
  const claimedInTime = approval.state === 'scanned' && approval.decideBy > now;
  if (approval.state === 'scanned' && !claimedInTime) throw approvalErrors.decisionTimeOver();
  if (approval.state !== 'waiting' && approval.state !== 'scanned') throw approvalErrors.notPending();
  if (claimedInTime || namedBy === 'on-device' || namedBy === 'inbox') return approval;
  const validUntil = namedBy === 'typed-code' ? approval.typedCodeExpiresAt : namedBy === 'previous-handle' ? approval.previousHandleUntil : approval.handleExpiresAt;
  if (validUntil <= now) throw approvalErrors.expiredQr();
  return approval;
}

/**
 * How an old handle of this approval is answered: the previous QR within its grace period
 * still opens the request (and then stays the claiming phone's, as a current one would), unless
 * a phone had opened it and let its time to decide run out; anything older is "expired" (the
 * QR changed), not "unknown".
 */
export function previousHandleVerdict(approval: Approval, handleHash: string, now: number): 'usable' | 'decision-time-over' | 'expired' {
  if (approval.previousHandleHash !== handleHash) return 'expired';
  if (approval.previousHandleClaimed) return 'decision-time-over';
  // Opened within the grace, it stays the claiming phone's until its time to decide runs out.
  if (approval.state === 'scanned') return 'usable';
  return approval.previousHandleUntil > now && approval.state === 'waiting' ? 'usable' : 'expired';
}

/** What a decision writes. Number matching: a wrong pick is what a relayed QR looks like, so it denies. */
export function decisionOutcome(approval: Approval, decision: Decision, now: number): { fields: Fields; wrongNumber: boolean } {
  const wrongNumber = decision.decision === 'approve' && approval.numberRequired && decision.pickedNumber !== approval.matchNumber;
  const state: ApprovalState = decision.decision === 'approve' && !wrongNumber ? 'approved' : 'denied';
  const fields: Fields =
    state === 'approved'
      ? { state, accountId: decision.accountId, amr: decision.amr.join(' '), acr: decision.acr, decidedAt: String(now) }
      : { state, decidedAt: String(now), accountId: decision.accountId };
  return { fields, wrongNumber };
}

/** A store TTL in whole seconds that lasts until `until` (ms), and at least one second. */
export function secondsUntil(until: number, now: number): number {
  return Math.max(1, Math.ceil((until - now) / 1000));
}

/** How long a phone that claims a request now has to decide: never past the interaction. */
export function decisionDeadline(approval: Approval, now: number, decisionSeconds: number): number {
  return Math.min(now + decisionSeconds * 1000, approval.expiresAt);
}

/** How long after a new QR the one it replaced still opens the request: a person who scanned it just before the change. */
export const PREVIOUS_HANDLE_GRACE_MS = 30_000;

/** A new QR handle and match number; the handle lives `handleSeconds`, never past the interaction. */
export function freshQr(approvalId: string, now: number, interactionExpiresAt: number, handleSeconds: number): FreshQr {
  const handle = makeQrHandle(approvalId);
  const handleExpiresAt = Math.min(now + handleSeconds * 1000, interactionExpiresAt);
  return { handleHash: hashSecret(handle), matchNumber: randomInt(10, 100), qr: { handle, handleExpiresAt } };
}

/** A new typed code: it lives `typedCodeSeconds`, never past the interaction, whatever the QR does meanwhile. */
export function freshTypedCode(now: number, interactionExpiresAt: number, typedCodeSeconds: number): FreshTypedCode {
  const code = typedCode();
  return { hash: hashSecret(code), text: formatTypedCode(code), expiresAt: Math.min(now + typedCodeSeconds * 1000, interactionExpiresAt) };
}

/** A new approval for an interaction's waiting page, with its first QR. */
export function newApproval(input: StartInput, now: number, fresh: FreshQr, code?: FreshTypedCode): Approval {
  return {
    id: input.uid,
    kind: input.kind ?? 'browser',
    uid: input.uid,
    deviceCode: input.deviceCode ?? '',
    targetAccountId: input.targetAccountId ?? '',
    numberTyped: false,
    bindingMessage: input.bindingMessage ?? '',
    clientId: input.clientId,
    state: 'waiting',
    createdAt: Math.min(input.requestedAt ?? now, now),
    expiresAt: input.expiresAt,
    requesterIp: input.ip,
    requesterUserAgent: input.userAgent.slice(0, 512),
    handleHash: fresh.handleHash,
    handleExpiresAt: fresh.qr.handleExpiresAt,
    previousHandleHash: '',
    previousHandleUntil: 0,
    previousHandleClaimed: false,
    handleUsed: false,
    round: 0,
    typedCodeHash: code?.hash ?? '',
    typedCodeExpiresAt: code?.expiresAt ?? 0,
    deviceId: '',
    decideBy: 0,
    accountId: '',
    freshRequired: Boolean(input.freshRequired),
    acrValues: input.acrValues ?? [],
    matchNumber: fresh.matchNumber,
    numberRequired: false,
    amr: [],
    acr: '',
    decidedAt: 0,
  };
}
