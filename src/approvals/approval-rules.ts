import { randomInt } from 'node:crypto';

import { formatTypedCode, hashSecret, typedCode } from '../security/tokens.js';
import type { Fields } from '../store/store.js';
import { approvalErrors } from './approval-errors.js';
import { type Approval, type ApprovalState, effectiveState } from './approval-record.js';
import type { Decision, FreshQr, StartInput } from './approval-types.js';
import { makeQrHandle } from './qr-handle.js';

/**
 * The approval engine's rules that need no store: what a phone may still act on, what a
 * decision writes, what a new QR is. The engine applies them to what it read and writes the
 * result with a conditional patch.
 */

/**
 * The approval a handle or code named, if it is still waiting for a phone. `current`: the
 * handle or code is the one the approval holds now (an older one gets "QR expired").
 */
export function pendingApproval(approval: Approval | undefined, current: boolean, now: number): Approval {
  if (!approval || effectiveState(approval, now) === 'expired') throw approvalErrors.expired();
  if (!current) throw approvalErrors.expiredQr();
  const claimedInTime = approval.state === 'scanned' && approval.decideBy > now;
  if (!claimedInTime && approval.handleExpiresAt <= now) throw approvalErrors.expiredQr();
  if (approval.state !== 'waiting' && approval.state !== 'scanned') throw approvalErrors.notPending();
  return approval;
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

/**
 * A new QR handle and match number, and a typed code only when asked for; the handle (and its
 * code) lives `handleSeconds`, never past the interaction.
 */
export function freshQr(approvalId: string, now: number, interactionExpiresAt: number, handleSeconds: number, withTypedCode = false): FreshQr {
  const handle = makeQrHandle(approvalId);
  const code = withTypedCode ? typedCode() : undefined;
  const handleExpiresAt = Math.min(now + handleSeconds * 1000, interactionExpiresAt);
  return {
    handleHash: hashSecret(handle),
    typedCodeHash: code ? hashSecret(code) : '',
    matchNumber: randomInt(10, 100),
    qr: code ? { handle, typedCode: formatTypedCode(code), handleExpiresAt } : { handle, handleExpiresAt },
  };
}

/** A new approval for an interaction's waiting page, with its first QR. */
export function newApproval(input: StartInput, now: number, fresh: FreshQr): Approval {
  return {
    id: input.uid,
    uid: input.uid,
    clientId: input.clientId,
    state: 'waiting',
    createdAt: now,
    expiresAt: input.expiresAt,
    requesterIp: input.ip,
    requesterUserAgent: input.userAgent.slice(0, 512),
    handleHash: fresh.handleHash,
    handleExpiresAt: fresh.qr.handleExpiresAt,
    handleUsed: false,
    round: 0,
    typedCodeHash: fresh.typedCodeHash,
    deviceId: '',
    decideBy: 0,
    accountId: '',
    freshRequired: Boolean(input.freshRequired),
    matchNumber: fresh.matchNumber,
    numberRequired: false,
    amr: [],
    acr: '',
    decidedAt: 0,
  };
}
