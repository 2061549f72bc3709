import {
  type AuthenticationResponseJSON,
  generateAuthenticationOptions,
  generateRegistrationOptions,
  type RegistrationResponseJSON,
  verifyAuthenticationResponse,
  verifyRegistrationResponse,
} from '@simplewebauthn/server';

import { QridError } from '../errors/qrid-error.js';
import type { Fields, Store } from '../store/store.js';
import type { Device } from './devices.js';
import type { User } from './users.js';

/**
 * Passkeys (WebAuthn) bound to one enrolled device: the phone's own biometrics or PIN unlock
 * its approvals. Challenges are single use (taken from the store) and bound to what they are
 * for (registration, one approval, linking a device); every assertion requires user
 * verification.
 */
export interface PasskeyCheck {
  /** RFC 8176: `hwk` for a device-bound key, `swk` for a synced (backed-up) one. */
  keyAmr: 'hwk' | 'swk';
  verifiedAt: number;
}

const CHALLENGE_SECONDS = 300;
const passkeyKey = (credentialId: string) => `passkey:${credentialId}`;
const devicePasskeysKey = (deviceId: string) => `device-passkeys:${deviceId}`;
const challengeKey = (deviceId: string, purpose: string) => `webauthn-challenge:${deviceId}:${purpose}`;

export const passkeyErrors = {
  failed: (why: string) => new QridError(400, 'passkey_failed', { params: { why } }),
  required: () => new QridError(403, 'passkey_required'),
  requiredNotKey: () => new QridError(403, 'passkey_required', { key: 'error.passkey_required.device_key' }),
  /** Step-up: the app asked for an approval with a passkey, and this device has none. */
  appAsksPasskey: () => new QridError(403, 'passkey_required', { key: 'error.passkey_required.app' }),
  appAsksPasskeyNotKey: () => new QridError(403, 'passkey_required', { key: 'error.passkey_required.app_device_key' }),
  setupClosed: () => new QridError(403, 'passkey_setup_closed'),
  unlockRequired: () => new QridError(403, 'verification_required', { key: 'error.verification_required.add_passkey' }),
  verificationRequired: () => new QridError(403, 'verification_required'),
};

export class Passkeys {
  readonly rpId: string;
  readonly origin: string;

  constructor(
    private readonly store: Store,
    issuer: string,
    private readonly rpName: string,
  ) {
    this.rpId = new URL(issuer).hostname;
    this.origin = new URL(issuer).origin;
  }

  async registrationOptions(user: User, device: Device) {
    const existing = await this.#credentials(device.id);
    const options = await generateRegistrationOptions({
      rpName: this.rpName,
      rpID: this.rpId,
      userName: user.username,
      userDisplayName: user.name,
      userID: new TextEncoder().encode(user.id),
      attestationType: 'none',
      excludeCredentials: existing.map((c) => ({ id: c.id, transports: c.transports })),
      authenticatorSelection: { residentKey: 'preferred', userVerification: 'required' },
    });
    await this.store.putRecord(challengeKey(device.id, 'register'), { challenge: options.challenge }, CHALLENGE_SECONDS);
    return options;
  }

  /**
   * Verifies a new passkey's registration against this device's challenge and stores it.
   * `authorize` runs after the response is verified and before anything is stored: it may
   * refuse (throw), so a grant it consumes is spent only on a registration that would succeed.
   */
  async register(user: User, device: Device, response: unknown, authorize: () => Promise<void> = async () => {}): Promise<void> {
    const challenge = await this.store.takeRecord(challengeKey(device.id, 'register'));
    if (!challenge?.challenge) throw passkeyErrors.failed('the request expired');
    let verification;
    try {
      verification = await verifyRegistrationResponse({
        response: response as RegistrationResponseJSON,
        expectedChallenge: challenge.challenge,
        expectedOrigin: this.origin,
        expectedRPID: this.rpId,
        requireUserVerification: true,
      });
    } catch (error) {
      throw passkeyErrors.failed(error instanceof Error ? error.message : 'invalid response');
    }
    if (!verification.verified || !verification.registrationInfo) throw passkeyErrors.failed('not verified');
    const { credential, credentialDeviceType, credentialBackedUp } = verification.registrationInfo;
    await authorize();
    const stored = await this.store.putRecordIfAbsent(passkeyKey(credential.id), {
      id: credential.id,
      publicKey: Buffer.from(credential.publicKey).toString('base64url'),
      counter: String(credential.counter),
      transports: (credential.transports ?? []).join(' '),
      deviceId: device.id,
      userId: user.id,
      synced: credentialDeviceType === 'multiDevice' || credentialBackedUp ? '1' : '',
      createdAt: String(Date.now()),
    });
    if (!stored) throw passkeyErrors.failed('this passkey is already registered');
    await this.store.addToIndex(devicePasskeysKey(device.id), credential.id);
  }

  async hasPasskey(deviceId: string): Promise<boolean> {
    return (await this.store.indexMembers(devicePasskeysKey(deviceId))).length > 0;
  }

  async authenticationOptions(device: Device, purpose: string) {
    const credentials = await this.#credentials(device.id);
    if (!credentials.length) throw passkeyErrors.required();
    const options = await generateAuthenticationOptions({
      rpID: this.rpId,
      allowCredentials: credentials.map((c) => ({ id: c.id, transports: c.transports })),
      userVerification: 'required',
    });
    await this.store.putRecord(challengeKey(device.id, purpose), { challenge: options.challenge }, CHALLENGE_SECONDS);
    return options;
  }

  /** Verifies an assertion for `purpose`; the challenge is used up whatever the outcome. */
  async verify(device: Device, purpose: string, response: unknown): Promise<PasskeyCheck> {
    const challenge = await this.store.takeRecord(challengeKey(device.id, purpose));
    if (!challenge?.challenge) throw passkeyErrors.failed('the request expired or was already used');
    const record = await this.#recordOf(response);
    if (!record || record.deviceId !== device.id) throw passkeyErrors.failed('this passkey does not belong to this device');
    return this.#check(record, challenge.challenge, response);
  }

  /**
   * Options for a passkey the browser picks itself (no device known yet): signing in with a
   * passkey on the QR page. A phone nearby can answer through the browser's own cross-device
   * flow. Only passkeys the authenticator stored as discoverable can be offered.
   */
  async discoverableOptions(purpose: string) {
    const options = await generateAuthenticationOptions({ rpID: this.rpId, userVerification: 'required' });
    await this.store.putRecord(challengeKey('any', purpose), { challenge: options.challenge }, CHALLENGE_SECONDS);
    return options;
  }

  /** Verifies an assertion of any registered passkey for `purpose`: whose device it belongs to. */
  async verifyDiscoverable(purpose: string, response: unknown): Promise<PasskeyCheck & { deviceId: string }> {
    const challenge = await this.store.takeRecord(challengeKey('any', purpose));
    if (!challenge?.challenge) throw passkeyErrors.failed('the request expired or was already used');
    const record = await this.#recordOf(response);
    if (!record?.deviceId) throw passkeyErrors.failed('this passkey is not registered with qrid');
    return { ...(await this.#check(record, challenge.challenge, response)), deviceId: record.deviceId };
  }

  async #recordOf(response: unknown): Promise<Fields | undefined> {
    const id = (response as { id?: unknown })?.id;
    return typeof id === 'string' && id.length < 1024 ? this.store.getRecord(passkeyKey(id)) : undefined;
  }

  async #check(record: Fields, expectedChallenge: string, response: unknown): Promise<PasskeyCheck> {
    let verification;
    try {
      verification = await verifyAuthenticationResponse({
        response: response as AuthenticationResponseJSON,
        expectedChallenge,
        expectedOrigin: this.origin,
        expectedRPID: this.rpId,
        requireUserVerification: true,
        credential: {
          id: record.id ?? '',
          publicKey: Buffer.from(record.publicKey ?? '', 'base64url'),
          counter: Number(record.counter ?? 0),
          transports: (record.transports ?? '').split(' ').filter(Boolean) as never,
        },
      });
    } catch (error) {
      throw passkeyErrors.failed(error instanceof Error ? error.message : 'invalid response');
    }
    if (!verification.verified || !verification.authenticationInfo.userVerified) throw passkeyErrors.failed('not verified');
    await this.store.patchRecord(passkeyKey(record.id ?? ''), { counter: String(verification.authenticationInfo.newCounter) });
    return { keyAmr: record.synced ? 'swk' : 'hwk', verifiedAt: Date.now() };
  }

  /** Backups: a device's passkeys as stored (public keys and counters). */
  async exportRecords(deviceId: string): Promise<Fields[]> {
    const records = await this.store.getRecords((await this.store.indexMembers(devicePasskeysKey(deviceId))).map(passkeyKey));
    return records.filter((r): r is Fields => Boolean(r));
  }

  async importRecord(fields: Fields): Promise<void> {
    if (!fields.id || !fields.deviceId || !fields.publicKey) throw new Error('a passkey record needs an id, a device and a public key');
    await this.store.putRecord(passkeyKey(fields.id), fields);
    await this.store.addToIndex(devicePasskeysKey(fields.deviceId), fields.id);
  }

  async removeForDevice(deviceId: string): Promise<void> {
    const ids = await this.store.indexMembers(devicePasskeysKey(deviceId));
    await this.store.deleteKeys([...ids.map(passkeyKey), devicePasskeysKey(deviceId)]);
  }

  async #credentials(deviceId: string): Promise<Array<{ id: string; transports: never[] }>> {
    const ids = await this.store.indexMembers(devicePasskeysKey(deviceId));
    const records = await Promise.all(ids.map((id) => this.store.getRecord(passkeyKey(id))));
    return records
      .filter((r): r is Fields => Boolean(r))
      .map((r) => ({ id: r.id ?? '', transports: (r.transports ?? '').split(' ').filter(Boolean) as never[] }));
  }
}
