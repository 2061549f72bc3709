import { passkeyErrors } from '../accounts/passkeys.js';
import type { Approval } from '../approvals/approval-record.js';
import { ACR_DEVICE_SESSION, ACR_PASSKEY, AMR_DEVICE_SESSION, amrPasskey } from '../provider/assurance.js';
import type { Services } from '../services.js';
import type { SignedInDevice } from './device-session.js';

/** Challenge purpose of a passkey assertion for one approval. */
export const approvalPurpose = (approval: Approval) => `approval:${approval.id}`;

/**
 * Whether approving needs the phone's passkey, by policy: `required` always (a device without
 * a passkey cannot approve); `preferred` whenever the device has one (and then always, also
 * for prompt=login / max_age, so freshness comes from a new verification); `off` never.
 */
export async function verificationNeeded(services: Services, signedIn: SignedInDevice): Promise<boolean> {
  const policy = services.config.passkeys.policy;
  if (policy === 'off') return false;
  const has = await services.passkeys.hasPasskey(signedIn.device.id);
  if (policy === 'required' && !has) throw passkeyErrors.required();
  return has;
}

/** The amr/acr an approval earns; verifies the passkey assertion when one is needed. */
export async function approvalAssurance(
  services: Services,
  signedIn: SignedInDevice,
  approval: Approval,
  form: Record<string, string>,
): Promise<{ amr: string[]; acr: string }> {
  if (form.decision !== 'approve') return { amr: [], acr: '' };
  if (!(await verificationNeeded(services, signedIn))) return { amr: AMR_DEVICE_SESSION, acr: ACR_DEVICE_SESSION };
  if (!form.assertion) throw passkeyErrors.verificationRequired();
  let response: unknown;
  try {
    response = JSON.parse(form.assertion);
  } catch {
    throw passkeyErrors.failed('the response was malformed');
  }
  const check = await services.passkeys.verify(signedIn.device, approvalPurpose(approval), response);
  return { amr: amrPasskey(check.keyAmr), acr: ACR_PASSKEY };
}
