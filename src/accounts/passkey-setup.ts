import { timingSafeEqual } from 'node:crypto';

import { hashSecret, randomToken } from '../security/tokens.js';
import type { Store } from '../store/store.js';

/**
 * The one moment a device may add its first passkey: right after it enrolled. Enrolling gives
 * the browser a one-time setup secret in a short-lived cookie of its own (see
 * phone/passkey-routes.ts), apart from the device cookie; the store keeps its hash for
 * SETUP_SECONDS. A copy of the device cookie made later (or without this cookie) cannot add a
 * passkey, so it can never raise the assurance its approvals claim. A device that has a passkey
 * adds another only with an assertion of one it has. A device that let the window pass gets a
 * passkey by enrolling again (a new link from an administrator, or "Sign in another device" on
 * a device that has a passkey).
 */
export const SETUP_SECONDS = 10 * 60;
const setupKey = (deviceId: string) => `passkey-setup:${deviceId}`;

export class PasskeySetup {
  constructor(private readonly store: Store) {}

  /** Opens the window for a newly enrolled device; returns the secret its browser keeps. */
  async open(deviceId: string): Promise<string> {
    const secret = randomToken(32);
    await this.store.putRecord(setupKey(deviceId), { secretHash: hashSecret(secret) }, SETUP_SECONDS);
    return secret;
  }

  /** Whether `secret` opens this device's window now (read-only). */
  async isOpen(deviceId: string, secret: string | undefined): Promise<boolean> {
    if (!secret || secret.length > 100) return false;
    const record = await this.store.getRecord(setupKey(deviceId));
    return matches(record?.secretHash, secret);
  }

  /** Closes the window for good if `secret` opens it (single use under concurrency); false otherwise. */
  async use(deviceId: string, secret: string | undefined): Promise<boolean> {
    if (!(await this.isOpen(deviceId, secret))) return false;
    const taken = await this.store.takeRecord(setupKey(deviceId));
    return matches(taken?.secretHash, secret as string);
  }

  async close(deviceId: string): Promise<void> {
    await this.store.deleteKeys([setupKey(deviceId)]);
  }
}

function matches(storedHash: string | undefined, secret: string): boolean {
  if (!storedHash) return false;
  const a = Buffer.from(storedHash);
  const b = Buffer.from(hashSecret(secret));
  return a.length === b.length && timingSafeEqual(a, b);
}
