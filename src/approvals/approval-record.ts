import type { Fields } from '../store/store.js';

/**
 * An approval request: a request to be approved by one of a user's devices, whatever brought it.
 * Its kind says what it is bound to and how the requester learns the outcome:
 *
 * - `browser`: a browser waiting on the QR page; bound to its oidc-provider interaction (`uid`,
 *   which is also the request's id), answered by a phone that scans the QR or types the code,
 *   or by the browser itself when it is an enrolled device ("sign in on this device").
 * - `device-code`: a TV, terminal or CLI tool that asked by the device grant (RFC 8628); bound
 *   to its device code (`deviceCode`) and to the interaction of the browser that opened the
 *   verification link, usually the phone itself. The requester is the device that asked: its
 *   address and user agent from the device authorization request, and when it asked.
 * - `ciba`: an app asking a user's phone directly (OpenID Connect CIBA); its id is the
 *   `auth_req_id`, it names its user (`targetAccountId`) and may carry a `bindingMessage`. It
 *   reaches the user's devices by push and by the inbox on /phone, never by a QR.
 *
 * A request addressed to one user (`targetAccountId`: CIBA, or a browser whose person asked for
 * a push instead of scanning) can be opened only by that user's devices, from their inbox.
 *
 * Every kind shares the state machine (approval-engine.ts), what the phone is shown (the app,
 * the requesting browser or device, its address, how long ago) and the one decide use case
 * (decide-approval.ts). The requester only ever sees `state` and timings (see `publicStatus`);
 * who approved is revealed to nobody but the step that completes the login.
 */
export type ApprovalKind = 'browser' | 'device-code' | 'ciba';
export type ApprovalState = 'waiting' | 'scanned' | 'approved' | 'denied' | 'expired';

export interface Approval {
  id: string;
  kind: ApprovalKind;
  /** The oidc-provider interaction this approval belongs to. */
  uid: string;
  /** Kind `device-code`: the device code (its id) the approval answers. */
  deviceCode: string;
  /** Addressed to this user's devices only (their inbox): CIBA, or a push sign-in. */
  targetAccountId: string;
  /** Number matching by typing the number the computer shows (push sign-in), not by picking one of three. */
  numberTyped: boolean;
  /** Kind `ciba`: the text the app shows too, so the person can tell the requests apart. */
  bindingMessage: string;
  clientId: string;
  state: ApprovalState;
  createdAt: number;
  /** The interaction's deadline: nothing about this approval outlives it. */
  expiresAt: number;
  requesterIp: string;
  requesterUserAgent: string;
  /** Hash of the QR handle currently shown; only that handle is accepted (and the previous one, briefly). */
  handleHash: string;
  handleExpiresAt: number;
  /**
   * The handle the page showed before its last new QR: a phone that scanned it just before the
   * change may still open it until `previousHandleUntil` (a grace period), unless a phone had
   * opened it and let its time to decide run out (`previousHandleClaimed`). Any other old
   * handle of this approval is told "expired", never "unknown".
   */
  previousHandleHash: string;
  previousHandleUntil: number;
  previousHandleClaimed: boolean;
  /** The current handle was used for a decision (handles are single use). */
  handleUsed: boolean;
  /** How many times a decided request started over (after a denial): each round has one decision. */
  round: number;
  typedCodeHash: string;
  /** The typed code lives on its own clock, not the QR's: it stays valid while a person types it (see SECURITY.md). */
  typedCodeExpiresAt: number;
  /** The device that opened the QR first; from then on only it may decide. */
  deviceId: string;
  decideBy: number;
  accountId: string;
  /** The RP asked for a fresh authentication (prompt=login, max_age): the phone must verify. */
  freshRequired: boolean;
  /** The authentication contexts the app asked for (step-up, RFC 9470): an approval must meet one. */
  acrValues: string[];
  /** Number shown by the waiting browser for number matching (per QR). */
  matchNumber: number;
  /** Set at scan when the phone's network differs from the browser's: the phone must pick the number. */
  numberRequired: boolean;
  amr: string[];
  acr: string;
  decidedAt: number;
}

export interface PublicStatus {
  state: ApprovalState;
  handleExpiresAt?: number;
  decideBy?: number;
  /** Only while scanned and number matching applies: the number to pick on the phone. */
  number?: number;
}

export function publicStatus(approval: Approval | undefined, now = Date.now()): PublicStatus {
  if (!approval) return { state: 'expired' };
  const state = effectiveState(approval, now);
  const status: PublicStatus = { state };
  if (state === 'waiting') status.handleExpiresAt = approval.handleExpiresAt;
  if (state === 'scanned') {
    status.decideBy = approval.decideBy;
    if (approval.numberRequired) status.number = approval.matchNumber;
  }
  return status;
}

export function effectiveState(approval: Approval, now = Date.now()): ApprovalState {
  if (approval.state === 'expired' || now >= approval.expiresAt) return 'expired';
  return approval.state;
}

/**
 * The stored form. Empty strings and zeros are left out (fromFields reads a missing field as
 * exactly that, and so do the store's patch conditions): a pending approval is a third smaller.
 */
export function toFields(a: Approval): Fields {
  const all: Fields = {
    id: a.id,
    kind: a.kind,
    uid: a.uid,
    deviceCode: a.deviceCode,
    targetAccountId: a.targetAccountId,
    numberTyped: a.numberTyped ? '1' : '',
    bindingMessage: a.bindingMessage,
    clientId: a.clientId,
    state: a.state,
    createdAt: String(a.createdAt),
    expiresAt: String(a.expiresAt),
    requesterIp: a.requesterIp,
    requesterUserAgent: a.requesterUserAgent,
    handleHash: a.handleHash,
    handleExpiresAt: String(a.handleExpiresAt),
    previousHandleHash: a.previousHandleHash,
    previousHandleUntil: String(a.previousHandleUntil),
    previousHandleClaimed: a.previousHandleClaimed ? '1' : '',
    handleUsed: a.handleUsed ? '1' : '',
    round: String(a.round),
    typedCodeHash: a.typedCodeHash,
    typedCodeExpiresAt: String(a.typedCodeExpiresAt),
    deviceId: a.deviceId,
    decideBy: String(a.decideBy),
    accountId: a.accountId,
    freshRequired: a.freshRequired ? '1' : '',
    acrValues: a.acrValues.join(' '),
    matchNumber: String(a.matchNumber),
    numberRequired: a.numberRequired ? '1' : '',
    amr: a.amr.join(' '),
    acr: a.acr,
    decidedAt: String(a.decidedAt),
  };
  const stored: Fields = {};
  for (const name in all) {
    const value = all[name] as string;
    if (value !== '' && value !== '0') stored[name] = value;
  }
  return stored;
}

export function fromFields(f: Fields): Approval {
  const num = (name: string) => Number(f[name] ?? '0') || 0;
  return {
    id: f.id ?? '',
    kind: f.kind === 'device-code' || f.kind === 'ciba' ? f.kind : 'browser',
    uid: f.uid ?? '',
    deviceCode: f.deviceCode ?? '',
    targetAccountId: f.targetAccountId ?? '',
    numberTyped: f.numberTyped === '1',
    bindingMessage: f.bindingMessage ?? '',
    clientId: f.clientId ?? '',
    state: (f.state ?? 'expired') as ApprovalState,
    createdAt: num('createdAt'),
    expiresAt: num('expiresAt'),
    requesterIp: f.requesterIp ?? '',
    requesterUserAgent: f.requesterUserAgent ?? '',
    handleHash: f.handleHash ?? '',
    handleExpiresAt: num('handleExpiresAt'),
    previousHandleHash: f.previousHandleHash ?? '',
    previousHandleUntil: num('previousHandleUntil'),
    previousHandleClaimed: f.previousHandleClaimed === '1',
    handleUsed: f.handleUsed === '1',
    round: num('round'),
    typedCodeHash: f.typedCodeHash ?? '',
    typedCodeExpiresAt: num('typedCodeExpiresAt'),
    deviceId: f.deviceId ?? '',
    decideBy: num('decideBy'),
    accountId: f.accountId ?? '',
    freshRequired: f.freshRequired === '1',
    acrValues: (f.acrValues ?? '').split(' ').filter(Boolean),
    matchNumber: Number(f.matchNumber ?? 0),
    numberRequired: f.numberRequired === '1',
    amr: (f.amr ?? '').split(' ').filter(Boolean),
    acr: f.acr ?? '',
    decidedAt: num('decidedAt'),
  };
}

/**
 * An approval as stored in two records: the approval itself (created with the page, changed by
 * a scan or a new QR) and its round's decision, created once (first writer wins) and never
 * changed. The decision's fields win; `usedHandle` names the handle it was made with, which is
 * then used up if it is still the approval's current one.
 */
export function withDecision(record: Fields, decision: Fields | undefined): Approval {
  if (!decision) return fromFields(record);
  const { usedHandle, ...decided } = decision;
  const merged = fromFields({ ...record, ...decided });
  if (usedHandle && usedHandle === record.handleHash) merged.handleUsed = true;
  return merged;
}
