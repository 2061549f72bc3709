import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';

import { calculateJwkThumbprint, exportJWK, generateKeyPair, type JWK } from 'jose';

import type { Store } from '../store/store.js';

/**
 * The provider's ES256 signing key: generated once, kept in the store and shared by every
 * instance, never regenerated while it is there. The private key is sealed with a key derived
 * from the cookie keys (AES-256-GCM), so a copy of the store alone cannot sign tokens.
 */
const SIGNING_KEYS = 'keys:signing';

export class SigningKeyError extends Error {
  override readonly name = 'SigningKeyError';
}

export async function loadSigningKeys(store: Store, cookieKeys: readonly string[]): Promise<JWK[]> {
  let record = await store.getRecord(SIGNING_KEYS);
  if (!record) {
    const { privateKey } = await generateKeyPair('ES256', { extractable: true });
    const jwk = await exportJWK(privateKey);
    const kid = await calculateJwkThumbprint(jwk);
    const sealed = seal(JSON.stringify({ ...jwk, kid, alg: 'ES256', use: 'sig' }), cookieKeys[0] as string);
    // Another instance may be starting at the same moment: whichever key landed first is the key.
    await store.putRecordIfAbsent(SIGNING_KEYS, { kid, sealed, createdAt: String(Date.now()) });
    record = await store.getRecord(SIGNING_KEYS);
  }
  if (!record?.sealed) throw new SigningKeyError('the signing key record in the store is damaged');
  for (const key of cookieKeys) {
    const plain = unseal(record.sealed, key);
    if (plain) return [JSON.parse(plain) as JWK];
  }
  throw new SigningKeyError(
    'the stored signing key cannot be opened with any configured cookie key; restore the cookie key it was made with',
  );
}

function wrappingKey(cookieKey: string): Buffer {
  return Buffer.from(hkdfSync('sha256', cookieKey, 'qrid', 'signing-key-at-rest', 32));
}

function seal(plain: string, cookieKey: string): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', wrappingKey(cookieKey), iv);
  const body = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()]);
  return [iv, cipher.getAuthTag(), body].map((b) => b.toString('base64url')).join('.');
}

function unseal(sealed: string, cookieKey: string): string | undefined {
  const [iv, tag, body] = sealed.split('.').map((part) => Buffer.from(part, 'base64url'));
  if (!iv || !tag || !body) return undefined;
  try {
    const decipher = createDecipheriv('aes-256-gcm', wrappingKey(cookieKey), iv);
    decipher.setAuthTag(tag);
    return Buffer.concat([decipher.update(body), decipher.final()]).toString('utf8');
  } catch {
    return undefined;
  }
}
