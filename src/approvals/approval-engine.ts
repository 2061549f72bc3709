import type { Logger } from '../logging/logger.js';
import { hashSecret } from '../security/tokens.js';
import type { Store } from '../store/store.js';
import { approvalErrors } from './approval-errors.js';
import { ApprovalEvents } from './approval-events.js';
import { type Approval, effectiveState, fromFields, publicStatus, type PublicStatus, toFields, withDecision } from './approval-record.js';
import { decisionDeadline, decisionOutcome, freshQr, freshTypedCode, newApproval, pendingApproval, PREVIOUS_HANDLE_GRACE_MS, previousHandleVerdict, secondsUntil } from './approval-rules.js';
import type { ApprovalEventListener, ApprovalTimings, Decision, FreshTypedCode, IssuedQr, NetworkRule, QrOptions, StartInput } from './approval-types.js';
import { approvalKey, createDecision, readApproval } from './approval-storage.js';
import { qrHandleApproval } from './qr-handle.js';
import { TypedCodes } from './typed-codes.js';

export type { ApprovalEventListener, ApprovalTimings, Decision, IssuedQr, NetworkRule, QrOptions, StartInput, TypedCodeChoice } from './approval-types.js';

/**
 * The approval engine: the state machine between the waiting browser and the phone.
 *
 *   waiting ──claim──▶ scanned ──decide──▶ approved (the browser then completes its interaction)
 *      ▲                  │                    └─(or) denied
 *      └──── new QR ──────┘ (only once the phone's decision time has run out)
 *
 * A scan and a new QR are conditional patches on the values just read; a decision is a record
 * of its own created only if absent. So concurrent requests (two phones, a replayed POST, a
 * rotation racing a scan) have exactly one winner, and a decision is one command with no
 * script. QR handles and typed codes are stored only as hashes and are single use. The rules
 * that need no store (what is still pending, what a decision writes, what a new QR is) are in
 * approval-rules.ts.
 *
 * Where and how an approval is stored: approval-storage.ts.
 */
/** A check of the request itself before a device is bound to it (throws to refuse). */
export type Acceptance = (approval: Approval) => Promise<unknown>;
const noCheck: Acceptance = async () => undefined;

export class ApprovalEngine {
  /** Told of every audited event (metrics hang here). */
  onEvent: ApprovalEventListener = () => {};
  /** Live status changes (approval-events.ts). */
  readonly events: ApprovalEvents;
  readonly #typedCodes: TypedCodes;

  constructor(
    private readonly store: Store,
    private readonly timings: ApprovalTimings,
    private readonly logger: Logger,
    private readonly now: () => number = Date.now,
    private readonly networksDiffer: NetworkRule = () => false,
  ) {
    this.#typedCodes = new TypedCodes(store, now);
    this.events = new ApprovalEvents(store, now);
  }

  async get(id: string): Promise<Approval | undefined> {
    return (await readApproval(this.store, id))?.approval;
  }

  /** The approval of an interaction: its id is the interaction's uid. */
  forInteraction(uid: string): Promise<Approval | undefined> {
    return this.get(uid);
  }

  /**
   * The waiting page opened: creates the approval with its first QR (one write; two with a
   * typed code), or, for a page opened again, issues a fresh QR for the existing one.
   */
  async start(input: StartInput, options: QrOptions = {}): Promise<{ approval: Approval; qr?: IssuedQr }> {
    const now = this.now();
    const fresh = freshQr(input.uid, now, input.expiresAt, this.timings.handleSeconds);
    const code = options.typedCode === 'new' || options.typedCode === 'keep' ? freshTypedCode(now, input.expiresAt, this.timings.typedCodeSeconds) : undefined;
    const approval = newApproval(input, now, fresh, code);
    if (!(await this.store.putRecordIfAbsent(approvalKey(approval.id), toFields(approval), secondsUntil(input.expiresAt, this.now())))) {
      return this.issueQr(approval.id, options.typedCode === 'keep' ? { typedCode: 'new' } : options);
    }
    if (code) await this.#typedCodes.add(code.hash, approval.id, code.expiresAt);
    this.#audit('approval.started', approval);
    return { approval, qr: withCode(fresh.qr, code) };
  }

  /**
   * A fresh QR for the waiting page. Refused while a phone is deciding, after approval, and once
   * the interaction has expired. A denied request may start over. The QR it replaces still
   * opens the request for a short grace (approval-rules.ts); the typed code is kept, replaced
   * or withdrawn as `options.typedCode` says.
   */
  async issueQr(id: string, options: QrOptions = {}): Promise<{ approval: Approval; qr?: IssuedQr }> {
    const stored = await readApproval(this.store, id);
    if (!stored) throw approvalErrors.expired();
    const { record, decision, approval: current } = stored;
    const now = this.now();
    const state = effectiveState(current, now);
    if (state === 'expired') {
      // Recorded once (the conditional patch has one winner), so metrics count each expiry once.
      if (record.state !== 'expired') {
        const marked = await this.store.patchRecord(approvalKey(id), { state: 'expired' }, { ifMatch: { state: record.state ?? '' } });
        if (marked) this.#audit('approval.expired', withDecision(marked, decision));
      }
      return { approval: { ...current, state } };
    }
    if (state === 'approved') return { approval: current };
    if (state === 'scanned' && current.decideBy > now) return { approval: current };

    // Waiting (a new QR), scanned but out of time, or denied: a decided request starts a new round.
    const round = decision ? current.round + 1 : current.round;
    const fresh = freshQr(id, now, current.expiresAt, this.timings.handleSeconds);
    const choice = options.typedCode ?? 'none';
    const liveCode = Boolean(current.typedCodeHash) && current.typedCodeExpiresAt > now && !decision;
    const code = choice === 'new' || (choice === 'keep' && !liveCode) ? freshTypedCode(now, current.expiresAt, this.timings.typedCodeSeconds) : undefined;
    const keptCode = choice === 'keep' && liveCode && !code;
    if (code) await this.#typedCodes.add(code.hash, id, code.expiresAt);
    const patched = await this.store.patchRecord(
      approvalKey(id),
      {
        round: round === 0 ? '' : String(round),
        state: 'waiting',
        handleHash: fresh.handleHash,
        handleExpiresAt: String(fresh.qr.handleExpiresAt),
        // Only a QR still waiting for an answer has a grace; after a decision the old QR is over.
        previousHandleHash: current.state === 'waiting' || current.state === 'scanned' ? current.handleHash : '',
        previousHandleUntil: String(now + PREVIOUS_HANDLE_GRACE_MS),
        previousHandleClaimed: current.state === 'scanned' ? '1' : '',
        handleUsed: '',
        typedCodeHash: code?.hash ?? (keptCode ? current.typedCodeHash : ''),
        typedCodeExpiresAt: String(code?.expiresAt ?? (keptCode ? current.typedCodeExpiresAt : 0)),
        deviceId: '',
        decideBy: '0',
        matchNumber: String(fresh.matchNumber),
        numberRequired: '',
      },
      { ifMatch: { state: record.state ?? '', handleHash: record.handleHash ?? '', deviceId: record.deviceId ?? '', round: record.round ?? '' } },
    );
    if (!patched) {
      // Something else moved first (a scan, a decision): the new handle and code never become valid.
      if (code) await this.#typedCodes.remove(code.hash);
      const latest = await this.get(id);
      if (!latest) throw approvalErrors.expired();
      return { approval: latest };
    }
    // A replaced or withdrawn code stops working with the patch; its record goes too.
    if (current.typedCodeHash && !keptCode) await this.#typedCodes.remove(current.typedCodeHash);
    const approval = fromFields(patched);
    if (current.state !== 'waiting') await this.events.publish(approval);
    return { approval, qr: withCode(fresh.qr, code) };
  }

  /**
   * The interaction ended without a login (the person cancelled): the request ends for every
   * phone, and open event streams are told it is over. A decision already made stays as it is.
   */
  async withdraw(id: string): Promise<void> {
    const stored = await readApproval(this.store, id);
    if (!stored || stored.decision || stored.record.state === 'expired') return;
    const marked = await this.store.patchRecord(approvalKey(id), { state: 'expired' }, { ifMatch: { state: stored.record.state ?? '' } });
    if (!marked) return;
    const approval = fromFields(marked);
    this.#audit('approval.expired', approval, { reason: 'cancelled' });
    await this.events.publish(approval);
  }

  /**
   * Read-only: what a QR handle points at (one read). GET and HEAD of /q/<handle> use only
   * this. A handle naming no approval is unknown; one its approval does not hold any more was
   * replaced (approval-rules.ts says what it is told).
   */
  async lookupHandle(handle: string): Promise<Approval> {
    const approvalId = qrHandleApproval(handle);
    const approval = approvalId ? (await readApproval(this.store, approvalId))?.approval : undefined;
    if (!approval || approval.id !== approvalId) throw approvalErrors.unknownQr();
    const now = this.now();
    const hash = hashSecret(handle);
    if (approval.handleHash === hash) {
      if (approval.handleUsed) throw approvalErrors.usedQr();
      return pendingApproval(approval, 'handle', now);
    }
    if (effectiveState(approval, now) === 'expired') throw approvalErrors.expired();
    const verdict = previousHandleVerdict(approval, hash, now);
    if (verdict === 'decision-time-over') throw approvalErrors.decisionTimeOver();
    if (verdict === 'expired') throw approvalErrors.expiredQr();
    return pendingApproval(approval, 'previous-handle', now);
  }

  /** The phone opened the QR: bind the request to that device and tell the waiting page. */
  async claimHandle(handle: string, deviceId: string, deviceIp = '', accept: Acceptance = noCheck): Promise<Approval> {
    const approval = await this.lookupHandle(handle);
    await accept(approval);
    return this.#claim(approval, deviceId, deviceIp);
  }

  /** Whether a phone at `deviceIp` must match the number (read-only; the phone page uses it). */
  numberMatchingApplies(approval: Approval, deviceIp: string): boolean {
    return approval.numberRequired || approval.numberTyped || (approval.kind === 'browser' && !approval.targetAccountId && this.networksDiffer(approval.requesterIp, deviceIp));
  }

  /** The typed fallback: single use, then the same binding as a scan. */
  async claimTypedCode(code: string, deviceId: string, deviceIp = '', accept: Acceptance = noCheck): Promise<Approval> {
    const codeHash = hashSecret(code);
    const approvalId = await this.#typedCodes.use(codeHash);
    const approval = approvalId ? await this.get(approvalId) : undefined;
    // A code this approval no longer holds was replaced: as good as expired.
    if (approval && approval.typedCodeHash !== codeHash && effectiveState(approval, this.now()) !== 'expired') throw approvalErrors.expiredQr();
    const pending = pendingApproval(approval, 'typed-code', this.now());
    await accept(pending);
    return this.#claim(pending, deviceId, deviceIp);
  }

  /**
   * Approve or deny through the QR handle itself (single use). The phone that has not claimed
   * the request yet claims and decides in the same conditional patch. `seen` is what the
   * caller already read through `lookupHandle` for this handle (saves reading it again; the
   * patch's conditions make a stale copy harmless).
   */
  async decideByHandle(handle: string, decision: Decision, seen?: Approval): Promise<Approval> {
    const handleHash = hashSecret(handle);
    const approval = seen?.handleHash === handleHash ? seen : await this.lookupHandle(handle);
    // Another device's request: refuse without burning the handle for its rightful owner.
    if (approval.deviceId && approval.deviceId !== decision.deviceId) throw approvalErrors.claimedElsewhere();
    const now = this.now();
    const claiming = !approval.deviceId;
    if (!claiming && approval.decideBy <= now) throw approvalErrors.expired();
    const numberRequired = claiming ? approval.numberTyped || (!approval.targetAccountId && this.networksDiffer(approval.requesterIp, decision.ip)) : approval.numberRequired;
    const decideBy = claiming ? decisionDeadline(approval, now, this.timings.decisionSeconds) : approval.decideBy;
    const { fields, wrongNumber } = decisionOutcome({ ...approval, numberRequired }, decision, now);
    const decisionFields = { ...fields, deviceId: decision.deviceId, decideBy: String(decideBy), numberRequired: numberRequired ? '1' : '', usedHandle: handleHash };
    if (!(await createDecision(this.store, approval, decisionFields, now))) {
      const latest = await this.get(approval.id);
      if (latest?.handleHash === handleHash && latest.handleUsed) throw approvalErrors.usedQr();
      if (latest?.deviceId && latest.deviceId !== decision.deviceId) throw approvalErrors.claimedElsewhere();
      throw approvalErrors.notPending();
    }
    const decided = withDecision(toFields(approval), decisionFields);
    if (claiming) this.#audit('approval.scanned', decided, { deviceIp: decision.ip, numberMatching: numberRequired });
    return this.#announceDecision(decided, decision, wrongNumber);
  }

  /** Approve or deny a request this device already claimed (after a typed code). */
  async decideClaimed(id: string, decision: Decision): Promise<Approval> {
    const approval = await this.get(id);
    if (!approval) throw approvalErrors.expired();
    const now = this.now();
    if (effectiveState(approval, now) === 'expired') throw approvalErrors.expired();
    if (approval.state !== 'scanned') throw approvalErrors.notPending();
    if (approval.deviceId !== decision.deviceId) throw approvalErrors.claimedElsewhere();
    if (approval.decideBy <= now) throw approvalErrors.expired();
    const { fields, wrongNumber } = decisionOutcome(approval, decision, now);
    const decisionFields = { ...fields, deviceId: decision.deviceId };
    if (!(await createDecision(this.store, approval, decisionFields, now))) throw approvalErrors.notPending();
    return this.#announceDecision(withDecision(toFields(approval), decisionFields), decision, wrongNumber);
  }

  /**
   * The completion route's look-up: the approval if it is approved and still in time. Not a
   * state change: an approval belongs to exactly one interaction, and oidc-provider consumes
   * that interaction when the browser resumes, so the interaction is what makes a login single
   * use (completing twice before resuming writes the same result twice). One read, where a
   * conditional patch to a "completed" state cost three commands.
   */
  async approvedFor(uid: string): Promise<Approval | undefined> {
    const approval = (await readApproval(this.store, uid))?.approval;
    if (approval && approval.id !== uid) return undefined;
    if (!approval || approval.state !== 'approved' || this.now() >= approval.expiresAt) return undefined;
    return approval;
  }

  /** Audits a login's completion; the completion route calls it once per interaction. */
  recordCompletion(approval: Approval): void {
    this.#audit('approval.completed', approval);
  }

  status(approval: Approval | undefined): PublicStatus {
    return publicStatus(approval, this.now());
  }

  /**
   * Addresses a waiting browser request to one user (a push sign-in): from now on only that
   * user's devices may open it, from their inbox, and approving needs the number the computer
   * shows, typed. Refused once a phone has opened it.
   */
  async address(id: string, accountId: string): Promise<Approval> {
    const patched = await this.store.patchRecord(
      approvalKey(id),
      { targetAccountId: accountId, numberTyped: '1' },
      { ifMatch: { state: 'waiting', deviceId: '', targetAccountId: ['', accountId] } },
    );
    if (!patched) throw approvalErrors.notPending();
    return fromFields(patched);
  }

  /** A device opens a request addressed to its user, from the inbox: the same binding as a scan. */
  async claimFromInbox(id: string, deviceId: string, accountId: string, accept: Acceptance = noCheck): Promise<Approval> {
    const approval = await this.get(id);
    if (!approval || approval.targetAccountId !== accountId) throw approvalErrors.expired();
    const pending = pendingApproval(approval, 'inbox', this.now());
    await accept(pending);
    return this.#claim(pending, deviceId, '');
  }

  /**
   * The requesting browser is itself an enrolled device and answers its own request ("sign in
   * on this device", or a phone that opened a device code's verification link): it binds the
   * request to itself. No number to match: nothing is shown on another screen.
   */
  async claimOnDevice(id: string, deviceId: string): Promise<Approval> {
    const approval = pendingApproval(await this.get(id), 'on-device', this.now());
    return this.#claim(approval, deviceId, '', { onDevice: true });
  }

  async #claim(approval: Approval, deviceId: string, deviceIp: string, options: { onDevice?: boolean } = {}): Promise<Approval> {
    if (approval.deviceId) {
      if (approval.deviceId !== deviceId) throw approvalErrors.claimedElsewhere();
      return approval;
    }
    // Number matching is for a phone answering a QR another screen shows; a device code's user
    // code already binds the phone to what the device shows (and RFC 8628 §5.4 warns).
    // A push sign-in always asks for the number, typed: nothing but the person's eyes ties the
    // phone to the computer. A CIBA request has its binding message instead.
    const numberRequired =
      approval.numberTyped || (!options.onDevice && approval.kind === 'browser' && !approval.targetAccountId && this.networksDiffer(approval.requesterIp, deviceIp));
    const patched = await this.store.patchRecord(
      approvalKey(approval.id),
      {
        state: 'scanned',
        deviceId,
        decideBy: String(decisionDeadline(approval, this.now(), this.timings.decisionSeconds)),
        numberRequired: numberRequired ? '1' : '',
      },
      { ifMatch: { state: 'waiting', deviceId: '', handleHash: approval.handleHash } },
    );
    if (!patched) {
      const latest = await this.get(approval.id);
      if (latest?.deviceId && latest.deviceId !== deviceId) throw approvalErrors.claimedElsewhere();
      if (latest?.deviceId === deviceId && latest.state === 'scanned') return latest;
      throw approvalErrors.notPending();
    }
    const claimed = fromFields(patched);
    this.#audit('approval.scanned', claimed, { deviceIp, numberMatching: numberRequired });
    await this.events.publish(claimed);
    return claimed;
  }

  async #announceDecision(decided: Approval, decision: Decision, wrongNumber: boolean): Promise<Approval> {
    this.#audit(decided.state === 'approved' ? 'approval.approved' : 'approval.denied', decided, {
      accountId: decision.accountId,
      deviceIp: decision.ip,
      ...(wrongNumber ? { reason: 'number_mismatch' } : {}),
    });
    await this.events.publish(decided);
    if (wrongNumber) throw approvalErrors.wrongNumber();
    return decided;
  }

  #audit(event: string, approval: Approval, extra: Record<string, unknown> = {}): void {
    this.onEvent(event, approval);
    this.logger.info(
      {
        event,
        approvalId: approval.id,
        kind: approval.kind,
        interaction: approval.uid,
        clientId: approval.clientId,
        deviceId: approval.deviceId || undefined,
        requesterIp: approval.requesterIp,
        ...extra,
      },
      event,
    );
  }
}

function withCode(qr: IssuedQr, code: FreshTypedCode | undefined): IssuedQr {
  return code ? { ...qr, typedCode: code.text, typedCodeExpiresAt: code.expiresAt } : qr;
}
