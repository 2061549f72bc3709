import { decodeProtectedHeader, importJWK, type JWK, jwtVerify } from 'jose';

import { qrHandleApproval } from '../approvals/qr-handle.js';
import type { Device } from '../accounts/devices.js';
import type { User } from '../accounts/users.js';
import { QridError } from '../errors/qrid-error.js';
import type { Services } from '../services.js';

/**
 * A companion's signed request: a JWS (ES256) by the device's registered key over the handle,
 * the action, a timestamp and a nonce. No bearer secret crosses the wire; a captured request
 * is useless twice (the nonce is remembered) and useless late (iat within a minute).
 */
export const COMPANION_JWS_TYPE = 'qrid-approval+jwt';
const MAX_AGE_SECONDS = 60;

export interface CompanionRequest {
  device: Device;
  user: User;
  handle: string;
  action: 'inspect' | 'approve' | 'deny';
  /** The number picked for number matching, when the computer showed one. */
  number?: number;
}

const refused = (code: 'invalid_request_signature' | 'invalid_request', reason: string) => new QridError(401, code, { params: { reason } });
const unknownDevice = () => new QridError(401, 'unknown_device');

export async function verifyDeviceJws(services: Services, jws: unknown): Promise<CompanionRequest> {
  if (typeof jws !== 'string' || jws.length > 4096 || jws.split('.').length !== 3) {
    throw refused('invalid_request_signature', 'send {"jws": "<compact JWS>"} signed by your device key');
  }
  let kid: unknown;
  try {
    ({ kid } = decodeProtectedHeader(jws));
  } catch {
    throw refused('invalid_request_signature', 'the JWS header cannot be read');
  }
  const device = typeof kid === 'string' && /^[\w-]{1,64}$/.test(kid) ? await services.devices.find(kid) : undefined;
  if (!device?.publicKeyJwk) throw unknownDevice();
  const user = await services.users.findActive(device.userId);
  if (!user) throw unknownDevice();

  let payload;
  try {
    const key = await importJWK(JSON.parse(device.publicKeyJwk) as JWK, 'ES256');
    ({ payload } = await jwtVerify(jws, key, {
      algorithms: ['ES256'],
      typ: COMPANION_JWS_TYPE,
      audience: services.config.issuer,
      maxTokenAge: MAX_AGE_SECONDS,
      clockTolerance: 30,
      requiredClaims: ['iat', 'nonce'],
    }));
  } catch (error) {
    throw refused('invalid_request_signature', error instanceof Error ? error.message : 'unknown');
  }
  const { handle, action, nonce, number } = payload as { handle?: unknown; action?: unknown; nonce?: unknown; number?: unknown };
  if (typeof handle !== 'string' || !qrHandleApproval(handle)) throw refused('invalid_request', 'the payload must name the QR handle');
  if (action !== 'inspect' && action !== 'approve' && action !== 'deny') throw refused('invalid_request', 'action must be inspect, approve or deny');
  if (typeof nonce !== 'string' || nonce.length < 16 || nonce.length > 128) throw refused('invalid_request', 'nonce must be 16 to 128 characters');
  const fresh = await services.store.putRecordIfAbsent(`companion-nonce:${device.id}:${nonce}`, { at: String(Date.now()) }, MAX_AGE_SECONDS * 3);
  if (!fresh) throw new QridError(401, 'replayed_request');
  return { device, user, handle, action, ...(Number.isInteger(number) ? { number: number as number } : {}) };
}
