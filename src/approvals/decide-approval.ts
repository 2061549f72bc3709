import type { Device } from '../accounts/devices.js';
import type { Passkeys } from '../accounts/passkeys.js';
import type { User } from '../accounts/users.js';
import type { RateLimiter } from '../rate-limit/rate-limiter.js';
import { QridError } from '../errors/qrid-error.js';
import type { ApprovalEngine, Decision } from './approval-engine.js';
import { approvalErrors } from './approval-errors.js';
import { assuranceFor, type DeviceProof, passkeyNeeded, type PasskeyPolicy } from './approval-policy.js';
import type { Approval } from './approval-record.js';

/**
 * The use cases every channel calls when a device answers an approval request: the phone's
 * page (by QR handle), the typed code, the companion API, and any channel added later. A
 * channel only authenticates the device (its cookie and CSRF token, or its key's signature)
 * and says how it found the request; the guards are here, the same for all of them:
 *
 * - the passkey policy (approval-policy.ts), checked before a request is bound to the device;
 * - a request opened by another device stays that device's ("already claimed elsewhere");
 * - the approval rate limit per client address, and a budget of failed QR handles per address
 *   (an address that keeps naming handles that do not work, guessing or replaying, is refused
 *   with 429, genuine handles included; valid handles cost nothing);
 * - number matching and the state machine (approval-engine.ts).
 *
 * The device must also still exist when the browser completes (complete-approval.ts).
 */
export interface Approver {
  device: Device;
  user: User;
}

/**
 * How the channel found the request: the QR handle, a typed code, a request in the user's
 * inbox, or the id of a request this device already opened.
 */
export type Target = { handle: string } | { typedCode: string } | { inbox: string } | { claimed: string };

export interface DecisionInput {
  target: Exclude<Target, { typedCode: string } | { inbox: string }>;
  approver: Approver;
  decision: 'approve' | 'deny';
  proof: DeviceProof;
  ip: string;
  /** The number picked on the phone when number matching applies. */
  pickedNumber?: number;
}

export interface ApprovalDecisionsDeps {
  approvals: ApprovalEngine;
  passkeys: Pick<Passkeys, 'hasPasskey' | 'verify'>;
  limiter: Pick<RateLimiter, 'hit' | 'assertBudget' | 'recordFailure'>;
  policy: PasskeyPolicy;
  /** `rate_limits.approval_per_ip`. */
  approvalsPerAddress: number;
  /** `rate_limits.qr_failures_per_ip`. */
  qrFailuresPerAddress: number;
}

/** What a handle that does not work is told: each counts against the address's budget. */
const HANDLE_FAILURES = new Set(['qr_unknown', 'qr_expired', 'qr_used']);

/** An id of a request this device claimed with a typed code (the interaction's uid). */
const CLAIMED_ID = /^[A-Za-z0-9_-]{16,64}$/;

export class ApprovalDecisions {
  constructor(private readonly deps: ApprovalDecisionsDeps) {}

  /**
   * Whether approving on this device will ask for its passkey; throws if the policy keeps the
   * device out or, given the request, it cannot meet what the app asked for.
   */
  passkeyNeeded(device: Device, proof: DeviceProof['kind'], approval?: Approval): Promise<boolean> {
    return passkeyNeeded(this.deps, device, proof, approval);
  }

  /** Read-only: the request the device would answer (GET of the phone's page, passkey options). */
  async pending(target: Exclude<Target, { typedCode: string }>, approver: Approver, proof: DeviceProof['kind'], ip: string): Promise<Approval> {
    await this.passkeyNeeded(approver.device, proof);
    const approval = await this.#find(target, approver, ip);
    await this.passkeyNeeded(approver.device, proof, approval);
    return approval;
  }

  /**
   * The device opened the request: from now on only it may answer, and the waiting browser
   * shows "check your phone". A device that could not approve this request is refused before
   * it is bound (a typed code is used up all the same: it was typed).
   */
  async claim(target: Target, approver: Approver, proof: DeviceProof['kind'], ip: string): Promise<Approval> {
    await this.passkeyNeeded(approver.device, proof);
    const { approvals } = this.deps;
    const accept = async (approval: Approval) => {
      addressedTo(approval, approver);
      await this.passkeyNeeded(approver.device, proof, approval);
    };
    if ('typedCode' in target) return approvals.claimTypedCode(target.typedCode, approver.device.id, ip, accept);
    if ('inbox' in target) return approvals.claimFromInbox(target.inbox, approver.device.id, approver.user.id, accept);
    if ('handle' in target) return this.#guardHandle(ip, () => approvals.claimHandle(target.handle, approver.device.id, ip, accept));
    const approval = await this.#find(target, approver, ip);
    await accept(approval);
    return approval;
  }

  /** Approve or deny. The account is the device's owner: nothing in the request can name another. */
  async decide(input: DecisionInput): Promise<Approval> {
    const { approvals, limiter, approvalsPerAddress } = this.deps;
    await limiter.hit('approval', { address: input.ip }, approvalsPerAddress);
    const pending = await this.#find(input.target, input.approver, input.ip);
    const assurance = input.decision === 'approve' ? await assuranceFor(this.deps, input.approver.device, pending, input.proof) : undefined;
    const decision = decisionOf(input, assurance);
    return 'handle' in input.target ? approvals.decideByHandle(input.target.handle, decision, pending) : approvals.decideClaimed(pending.id, decision);
  }

  /**
   * The requesting browser answers its own request, being an enrolled device itself (or the
   * phone that opened a device code's verification link): it binds the request to itself and
   * decides in one go, with the same policy, step-up and rate limit as any channel.
   */
  async decideOnDevice(input: { approvalId: string; approver: Approver; decision: 'approve' | 'deny'; proof: DeviceProof; ip: string }): Promise<Approval> {
    const { approvals, limiter, approvalsPerAddress } = this.deps;
    await limiter.hit('approval', { address: input.ip }, approvalsPerAddress);
    const pending = await approvals.get(input.approvalId);
    if (!pending) throw approvalErrors.expired();
    addressedTo(pending, input.approver);
    if (input.decision === 'approve') await this.passkeyNeeded(input.approver.device, input.proof.kind, pending);
    const claimed = await approvals.claimOnDevice(pending.id, input.approver.device.id);
    const assurance =
      input.decision === 'approve'
        ? await assuranceFor(this.deps, input.approver.device, claimed, input.proof, { sameDevice: claimed.kind === 'browser' })
        : undefined;
    return approvals.decideClaimed(claimed.id, decisionOf(input, assurance));
  }

  /** Runs a step that names a QR handle inside the address's failure budget. */
  async #guardHandle<T>(ip: string, step: () => Promise<T>): Promise<T> {
    const { limiter, qrFailuresPerAddress } = this.deps;
    await limiter.assertBudget('qr-failures', { address: ip }, qrFailuresPerAddress);
    try {
      return await step();
    } catch (error) {
      if (error instanceof QridError && HANDLE_FAILURES.has(error.code)) await limiter.recordFailure('qr-failures', { address: ip });
      throw error;
    }
  }

  async #find(target: Exclude<Target, { typedCode: string }>, approver: Approver, ip: string): Promise<Approval> {
    const { approvals } = this.deps;
    let approval: Approval | undefined;
    if ('handle' in target) approval = await this.#guardHandle(ip, () => approvals.lookupHandle(target.handle));
    else if ('inbox' in target) {
      approval = await approvals.get(target.inbox);
      if (!approval || approval.targetAccountId !== approver.user.id) throw approvalErrors.expired();
    } else {
      if (!CLAIMED_ID.test(target.claimed)) throw approvalErrors.notPending();
      approval = await approvals.get(target.claimed);
      if (!approval) throw approvalErrors.expired();
      if (!approval.deviceId) throw approvalErrors.notPending();
    }
    if (approval.deviceId && approval.deviceId !== approver.device.id) throw approvalErrors.claimedElsewhere();
    addressedTo(approval, approver);
    return approval;
  }
}

/** What the store records of a decision, the same for every channel: who, how sure (a denial: not at all), from where. */
function decisionOf(
  input: { decision: 'approve' | 'deny'; approver: Approver; ip: string; pickedNumber?: number },
  assurance: { amr: string[]; acr: string } | undefined,
): Decision {
  return {
    decision: input.decision,
    deviceId: input.approver.device.id,
    accountId: input.approver.user.id,
    amr: assurance?.amr ?? [],
    acr: assurance?.acr ?? '',
    ip: input.ip,
    ...(input.pickedNumber === undefined ? {} : { pickedNumber: input.pickedNumber }),
  };
}

/** A request addressed to one user (CIBA, a push sign-in) is that user's devices' alone, whatever channel names it. */
function addressedTo(approval: Approval, approver: Approver): void {
  if (approval.targetAccountId && approval.targetAccountId !== approver.user.id) throw approvalErrors.claimedElsewhere();
}
