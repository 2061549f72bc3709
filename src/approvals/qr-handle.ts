import { randomToken } from '../security/tokens.js';

/**
 * A QR handle is `<approval id>.<secret>`: it names its approval, so the phone's requests read
 * the approval directly instead of first resolving the handle through a look-up record (one
 * write per QR and one read per phone request fewer). The approval id is the interaction's
 * uid, which the waiting browser already shows in its own URLs; what makes the handle
 * unguessable is the 128-bit secret, and only the hash of the whole handle is stored.
 */
const APPROVAL_ID = '[A-Za-z0-9_-]{8,64}';
const SECRET = '[A-Za-z0-9_-]{22}';
/** A handle's shape, for matching one inside a longer text (a QR link's path). */
export const QR_HANDLE_PATTERN = `${APPROVAL_ID}\\.${SECRET}`;
const HANDLE = new RegExp(`^(${APPROVAL_ID})\\.${SECRET}$`);
const ID = new RegExp(`^${APPROVAL_ID}$`);

export function makeQrHandle(approvalId: string): string {
  if (!ID.test(approvalId)) throw new Error(`approval id ${JSON.stringify(approvalId)} cannot be part of a QR handle`);
  return `${approvalId}.${randomToken()}`;
}

/** The approval a well-formed handle names; undefined for anything else. */
export function qrHandleApproval(handle: string): string | undefined {
  return HANDLE.exec(handle)?.[1];
}
