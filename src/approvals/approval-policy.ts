import type { Device } from '../accounts/devices.js';
import { type PasskeyCheck, type Passkeys, passkeyErrors } from '../accounts/passkeys.js';
import type { Config } from '../config/schema.js';
import { ACR_DEVICE_KEY, ACR_DEVICE_SESSION, ACR_PASSKEY, acrLevel, AMR_DEVICE_KEY, AMR_DEVICE_SESSION, amrPasskey, reportedAcr, requiredAcrLevel } from '../provider/assurance.js';
import type { Approval } from './approval-record.js';

/**
 * The one passkey-policy decision, for every way a device answers an approval (the phone's
 * page, the typed code, the companion, and any later channel). What a device may do, by
 * `passkeys.policy` and how it proves itself:
 *
 * | policy      | device session (phone browser)                   | device key (companion)        |
 * | ----------- | ------------------------------------------------ | ----------------------------- |
 * | `off`       | approves on its session (acr device)             | approves (acr device-key)     |
 * | `preferred` | with a passkey on the device: a fresh assertion  | approves (acr device-key)     |
 * |             | for this approval (acr passkey); else session    |                               |
 * | `required`  | only with a fresh passkey assertion               | refused: a key held in a file |
 * |             | (a device without a passkey cannot approve)      | proves no person (no UV)      |
 *
 * An app may ask for more (step-up, `acr_values`): a request for `urn:qrid:acr:passkey` needs a
 * fresh passkey assertion whatever the policy, so a device without a passkey and a companion's
 * key cannot approve it; one for `urn:qrid:acr:device-key` is met by a companion's key or a
 * passkey, not by a phone's session alone.
 *
 * A deny needs no proof beyond the device itself: refusing can never let anyone in.
 */
export type PasskeyPolicy = Config['passkeys']['policy'];

/**
 * How the device answering proves itself: its session cookie (with an assertion when asked), its
 * companion key's signature, or a passkey assertion already verified (signing in with a passkey
 * on the QR page, which is how the device was found).
 */
export type DeviceProof = { kind: 'device-session'; assertion?: string } | { kind: 'device-key' } | { kind: 'passkey'; check: PasskeyCheck };

export interface Assurance {
  amr: string[];
  acr: string;
}

type PolicyDeps = { passkeys: Pick<Passkeys, 'hasPasskey' | 'verify'>; policy: PasskeyPolicy };

/** Challenge purpose of a passkey assertion for one approval. */
export const approvalPurpose = (approval: Pick<Approval, 'id'>) => `approval:${approval.id}`;

/**
 * Whether this device may answer approvals at all (and, given the request, this one), and
 * whether approving will ask for its passkey. Throws `passkey_required` for a device the policy
 * keeps out, or that cannot meet what the app asked for (step-up: a request for the passkey or
 * device-key context needs more than a phone's session, and a companion's key is no passkey).
 */
export async function passkeyNeeded(deps: PolicyDeps, device: Device, proof: DeviceProof['kind'], approval?: Pick<Approval, 'acrValues'>): Promise<boolean> {
  const required = approval ? requiredAcrLevel(approval.acrValues) : 0;
  // A verified passkey meets every policy and every context qrid offers.
  if (proof === 'passkey') return false;
  if (proof === 'device-key') {
    if (deps.policy === 'required') throw passkeyErrors.requiredNotKey();
    if (required > acrLevel(ACR_DEVICE_KEY)) throw passkeyErrors.appAsksPasskeyNotKey();
    return false;
  }
  const stepUp = required > acrLevel(ACR_DEVICE_SESSION);
  if (deps.policy === 'off' && !stepUp) return false;
  const has = await deps.passkeys.hasPasskey(device.id);
  if (stepUp && !has) throw passkeyErrors.appAsksPasskey();
  if (deps.policy === 'required' && !has) throw passkeyErrors.required();
  return has;
}

/**
 * The amr/acr an approval earns; verifies the passkey assertion when the policy or the app asks
 * for one. `mca` (a second channel) only when the approving device is not the one that signs in:
 * a browser that approves its own request ("sign in on this device") used no second channel.
 */
export async function assuranceFor(deps: PolicyDeps, device: Device, approval: Approval, proof: DeviceProof, options: { sameDevice?: boolean } = {}): Promise<Assurance> {
  const earned = await earnedAssurance(deps, device, approval, proof);
  const acr = reportedAcr(earned.acr, approval.acrValues);
  // passkeyNeeded already refused a device that cannot meet the request; this holds the line.
  if (!acr) throw proof.kind === 'device-key' ? passkeyErrors.appAsksPasskeyNotKey() : passkeyErrors.appAsksPasskey();
  return { amr: options.sameDevice ? earned.amr.filter((method) => method !== 'mca') : earned.amr, acr };
}

async function earnedAssurance(deps: PolicyDeps, device: Device, approval: Approval, proof: DeviceProof): Promise<Assurance> {
  if (proof.kind === 'passkey') return { amr: amrPasskey(proof.check.keyAmr), acr: ACR_PASSKEY };
  const needed = await passkeyNeeded(deps, device, proof.kind, approval);
  if (proof.kind === 'device-key') return { amr: AMR_DEVICE_KEY, acr: ACR_DEVICE_KEY };
  if (!needed) return { amr: AMR_DEVICE_SESSION, acr: ACR_DEVICE_SESSION };
  if (!proof.assertion) throw passkeyErrors.verificationRequired();
  let response: unknown;
  try {
    response = JSON.parse(proof.assertion);
  } catch {
    throw passkeyErrors.failed('the response was malformed');
  }
  const check = await deps.passkeys.verify(device, approvalPurpose(approval), response);
  return { amr: amrPasskey(check.keyAmr), acr: ACR_PASSKEY };
}
