import { randomInt } from 'node:crypto';

import type { Logger } from '../logging/logger.js';
import { formatTypedCode, hashSecret, randomToken, typedCode } from '../security/tokens.js';
import type { Fields, Store } from '../store/store.js';
import { approvalErrors } from './approval-errors.js';
import { type Approval, type ApprovalState, effectiveState, fromFields, publicStatus, type PublicStatus, toFields } from './approval-record.js';

/**
 * The approval engine: the state machine between the waiting browser and the phone.
 *
 *   waiting ──claim──▶ scanned ──decide──▶ approved ──complete──▶ completed
 *      ▲                  │                    └─(or) denied
 *      └──── new QR ──────┘ (only once the phone's decision time has run out)
 *
 * Every transition is a conditional patch on the values just read, so concurrent requests
 * (two phones, a replayed POST, a rotation racing a scan) have exactly one winner. QR handles
 * and typed codes are stored only as hashes and are single use.
 */
export interface ApprovalTimings {
  handleSeconds: number;
  decisionSeconds: number;
}

export interface IssuedQr {
  handle: string;
  typedCode: string;
  handleExpiresAt: number;
}

export interface Decision {
  decision: 'approve' | 'deny';
  deviceId: string;
  accountId: string;
  amr: string[];
  acr: string;
  ip: string;
  /** The number the person picked on the phone, when number matching applies. */
  pickedNumber?: number;
}

/** Decides whether the phone's network differs enough from the browser's to need number matching. */
export type NetworkRule = (requesterIp: string, deviceIp: string) => boolean;

const approvalKey = (id: string) => `approval:${id}`;
const approvalOfKey = (uid: string) => `approval-of:${uid}`;
const qrKey = (hash: string) => `qr:${hash}`;
const typedKey = (hash: string) => `typed:${hash}`;
const channel = (id: string) => `approval-events:${id}`;
/** Used handles and codes are kept this long after expiry, so a replay gets "already used", not "unknown". */
const TOMBSTONE_SECONDS = 600;

export type ApprovalEventListener = (event: string, approval: Approval) => void;

export class ApprovalEngine {
  /** Told of every audited event (metrics hang here). */
  onEvent: ApprovalEventListener = () => {};

  constructor(
    private readonly store: Store,
    private readonly timings: ApprovalTimings,
    private readonly logger: Logger,
    private readonly now: () => number = Date.now,
    private readonly networksDiffer: NetworkRule = () => false,
  ) {}

  async get(id: string): Promise<Approval | undefined> {
    const fields = await this.store.getRecord(approvalKey(id));
    return fields ? fromFields(fields) : undefined;
  }

  async forInteraction(uid: string): Promise<Approval | undefined> {
    const ref = await this.store.getRecord(approvalOfKey(uid));
    return ref?.id ? this.get(ref.id) : undefined;
  }

  /** The approval for an interaction, created on first sight. */
  async begin(input: { uid: string; clientId: string; expiresAt: number; ip: string; userAgent: string; freshRequired?: boolean }): Promise<Approval> {
    const existing = await this.forInteraction(input.uid);
    if (existing) return existing;
    const ttl = this.#ttl(input.expiresAt);
    const approval: Approval = {
      id: randomToken(),
      uid: input.uid,
      clientId: input.clientId,
      state: 'waiting',
      createdAt: this.now(),
      expiresAt: input.expiresAt,
      requesterIp: input.ip,
      requesterUserAgent: input.userAgent.slice(0, 512),
      handleHash: '',
      handleExpiresAt: 0,
      typedCodeHash: '',
      deviceId: '',
      decideBy: 0,
      accountId: '',
      freshRequired: Boolean(input.freshRequired),
      matchNumber: 0,
      numberRequired: false,
      amr: [],
      acr: '',
      decidedAt: 0,
    };
    if (!(await this.store.putRecordIfAbsent(approvalOfKey(input.uid), { id: approval.id }, ttl))) {
      const winner = await this.forInteraction(input.uid);
      if (winner) return winner;
    }
    await this.store.putRecord(approvalKey(approval.id), toFields(approval), ttl);
    this.#audit('approval.started', approval);
    return approval;
  }

  /**
   * A fresh QR (and typed code) for the waiting page. Refused while a phone is deciding, after
   * approval, and once the interaction has expired. A denied request may start over.
   */
  async issueQr(id: string): Promise<{ approval: Approval; qr?: IssuedQr }> {
    const current = await this.get(id);
    if (!current) throw approvalErrors.expired();
    const now = this.now();
    const state = effectiveState(current, now);
    if (state === 'expired') {
      // Recorded once (the conditional patch has one winner), so metrics count each expiry once.
      if (current.state !== 'expired' && current.state !== 'completed') {
        const marked = await this.store.patchRecord(approvalKey(id), { state: 'expired' }, { ifMatch: { state: current.state } });
        if (marked) this.#audit('approval.expired', fromFields(marked));
      }
      return { approval: { ...current, state } };
    }
    if (state === 'approved' || state === 'completed') return { approval: current };
    if (state === 'scanned' && current.decideBy > now) return { approval: current };

    const handle = randomToken();
    const code = typedCode();
    const handleHash = hashSecret(handle);
    const typedCodeHash = hashSecret(code);
    const handleExpiresAt = Math.min(now + this.timings.handleSeconds * 1000, current.expiresAt);
    const recordTtl = this.#ttl(handleExpiresAt) + TOMBSTONE_SECONDS;
    await this.store.putRecord(qrKey(handleHash), { approvalId: id, expiresAt: String(handleExpiresAt), usedAt: '' }, recordTtl);
    await this.store.putRecord(
      typedKey(typedCodeHash),
      { approvalId: id, handleHash, expiresAt: String(handleExpiresAt), usedAt: '' },
      recordTtl,
    );
    const patched = await this.store.patchRecord(
      approvalKey(id),
      {
        state: 'waiting',
        handleHash,
        handleExpiresAt: String(handleExpiresAt),
        typedCodeHash,
        deviceId: '',
        decideBy: '0',
        matchNumber: String(randomInt(10, 100)),
        numberRequired: '',
      },
      { ifMatch: { state: current.state, handleHash: current.handleHash, deviceId: current.deviceId } },
    );
    if (!patched) {
      // Something else moved first (a scan, a decision): the new handle never becomes valid.
      await this.store.deleteKeys([qrKey(handleHash), typedKey(typedCodeHash)]);
      const latest = await this.get(id);
      if (!latest) throw approvalErrors.expired();
      return { approval: latest };
    }
    if (current.handleHash) await this.store.deleteKeys([qrKey(current.handleHash), typedKey(current.typedCodeHash)]);
    const approval = fromFields(patched);
    if (current.state !== 'waiting') await this.#publish(approval);
    return { approval, qr: { handle, typedCode: formatTypedCode(code), handleExpiresAt } };
  }

  /** Read-only: what a QR handle points at. GET and HEAD of /q/<handle> use only this. */
  async lookupHandle(handle: string): Promise<Approval> {
    const handleHash = hashSecret(handle);
    const record = await this.store.getRecord(qrKey(handleHash));
    if (!record) throw approvalErrors.unknownQr();
    if (record.usedAt) throw approvalErrors.usedQr();
    return this.#currentFor(record, handleHash);
  }

  /** The phone opened the QR: bind the request to that device and tell the waiting page. */
  async claimHandle(handle: string, deviceId: string, deviceIp = ''): Promise<Approval> {
    const approval = await this.lookupHandle(handle);
    return this.#claim(approval, deviceId, deviceIp);
  }

  /** Whether a phone at `deviceIp` must match the number (read-only; the phone page uses it). */
  numberMatchingApplies(approval: Approval, deviceIp: string): boolean {
    return approval.numberRequired || this.networksDiffer(approval.requesterIp, deviceIp);
  }

  /** The typed fallback: single use, then the same binding as a scan. */
  async claimTypedCode(code: string, deviceId: string, deviceIp = ''): Promise<Approval> {
    const codeHash = hashSecret(code);
    const used = await this.store.patchRecord(typedKey(codeHash), { usedAt: String(this.now()) }, { ifMatch: { usedAt: '' } });
    if (!used) {
      const record = await this.store.getRecord(typedKey(codeHash));
      throw record ? approvalErrors.usedQr() : approvalErrors.wrongCode();
    }
    const approval = await this.#currentFor(used, used.handleHash ?? '');
    return this.#claim(approval, deviceId, deviceIp);
  }

  /** Approve or deny through the QR handle itself (single use). */
  async decideByHandle(handle: string, decision: Decision): Promise<Approval> {
    const seen = await this.lookupHandle(handle);
    // Another device's request: refuse without burning the handle for its rightful owner.
    if (seen.deviceId && seen.deviceId !== decision.deviceId) throw approvalErrors.claimedElsewhere();
    const handleHash = hashSecret(handle);
    const used = await this.store.patchRecord(qrKey(handleHash), { usedAt: String(this.now()) }, { ifMatch: { usedAt: '' } });
    if (!used) {
      const record = await this.store.getRecord(qrKey(handleHash));
      throw record ? approvalErrors.usedQr() : approvalErrors.unknownQr();
    }
    const approval = await this.#currentFor(used, handleHash);
    const claimed = approval.deviceId ? approval : await this.#claim(approval, decision.deviceId, decision.ip);
    return this.#decide(claimed, decision);
  }

  /** Approve or deny a request this device already claimed (after a typed code). */
  async decideClaimed(id: string, decision: Decision): Promise<Approval> {
    const approval = await this.get(id);
    if (!approval) throw approvalErrors.expired();
    return this.#decide(approval, decision);
  }

  /** The completion route's single use of an approval; returns it with the approving account. */
  async complete(id: string): Promise<Approval | undefined> {
    const current = await this.get(id);
    if (!current || effectiveState(current, this.now()) !== 'approved') return undefined;
    const done = await this.store.patchRecord(approvalKey(id), { state: 'completed' }, { ifMatch: { state: 'approved' } });
    if (!done) return undefined;
    const approval = fromFields(done);
    this.#audit('approval.completed', approval);
    await this.#publish(approval);
    return approval;
  }

  status(approval: Approval | undefined): PublicStatus {
    return publicStatus(approval, this.now());
  }

  /** Live status changes for one approval (from any instance sharing the store). */
  async subscribe(id: string, listener: (status: PublicStatus) => void): Promise<() => Promise<void>> {
    return this.store.subscribe(channel(id), (message) => {
      try {
        listener(JSON.parse(message) as PublicStatus);
      } catch {
        // A malformed message on the channel is not ours to act on.
      }
    });
  }

  async #currentFor(record: Fields, handleHash: string): Promise<Approval> {
    const approval = record.approvalId ? await this.get(record.approvalId) : undefined;
    if (!approval || effectiveState(approval, this.now()) === 'expired') throw approvalErrors.expired();
    if (approval.handleHash !== handleHash) throw approvalErrors.expiredQr();
    const claimedInTime = approval.state === 'scanned' && approval.decideBy > this.now();
    if (!claimedInTime && Number(record.expiresAt) <= this.now()) throw approvalErrors.expiredQr();
    if (approval.state !== 'waiting' && approval.state !== 'scanned') throw approvalErrors.notPending();
    return approval;
  }

  async #claim(approval: Approval, deviceId: string, deviceIp: string): Promise<Approval> {
    if (approval.deviceId) {
      if (approval.deviceId !== deviceId) throw approvalErrors.claimedElsewhere();
      return approval;
    }
    const numberRequired = this.networksDiffer(approval.requesterIp, deviceIp);
    const patched = await this.store.patchRecord(
      approvalKey(approval.id),
      {
        state: 'scanned',
        deviceId,
        decideBy: String(Math.min(this.now() + this.timings.decisionSeconds * 1000, approval.expiresAt)),
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
    await this.#publish(claimed);
    return claimed;
  }

  async #decide(approval: Approval, decision: Decision): Promise<Approval> {
    const now = this.now();
    if (effectiveState(approval, now) === 'expired') throw approvalErrors.expired();
    if (approval.state !== 'scanned') throw approvalErrors.notPending();
    if (approval.deviceId !== decision.deviceId) throw approvalErrors.claimedElsewhere();
    if (approval.decideBy <= now) throw approvalErrors.expired();
    // Number matching: a wrong pick is what a relayed QR looks like, so it denies the login.
    const wrongNumber = decision.decision === 'approve' && approval.numberRequired && decision.pickedNumber !== approval.matchNumber;
    const state: ApprovalState = decision.decision === 'approve' && !wrongNumber ? 'approved' : 'denied';
    const fields: Fields =
      state === 'approved'
        ? { state, accountId: decision.accountId, amr: decision.amr.join(' '), acr: decision.acr, decidedAt: String(now) }
        : { state, decidedAt: String(now), accountId: decision.accountId };
    const patched = await this.store.patchRecord(approvalKey(approval.id), fields, {
      ifMatch: { state: 'scanned', deviceId: decision.deviceId, handleHash: approval.handleHash },
    });
    if (!patched) throw approvalErrors.notPending();
    const decided = fromFields(patched);
    this.#audit(state === 'approved' ? 'approval.approved' : 'approval.denied', decided, {
      accountId: decision.accountId,
      deviceIp: decision.ip,
      ...(wrongNumber ? { reason: 'number_mismatch' } : {}),
    });
    await this.#publish(decided);
    if (wrongNumber) throw approvalErrors.wrongNumber();
    return decided;
  }

  /** Publishes the public status itself, so listeners need not read the store again. */
  async #publish(approval: Approval): Promise<void> {
    await this.store.publish(channel(approval.id), JSON.stringify(publicStatus(approval, this.now())));
  }

  #ttl(until: number): number {
    return Math.max(1, Math.ceil((until - this.now()) / 1000));
  }

  #audit(event: string, approval: Approval, extra: Record<string, unknown> = {}): void {
    this.onEvent(event, approval);
    this.logger.info(
      {
        event,
        approvalId: approval.id,
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
