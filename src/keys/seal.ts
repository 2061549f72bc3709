import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';

/**
 * Private signing keys at rest: AES-256-GCM under a key derived from a cookie key, so a copy of
 * the store alone cannot sign tokens. Sealed with the newest cookie key; opened with any.
 */
function wrappingKey(cookieKey: string): Buffer {
  return Buffer.from(hkdfSync('sha256', cookieKey, 'qrid', 'signing-key-at-rest', 32));
}

export function seal(plain: string, cookieKey: string): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', wrappingKey(cookieKey), iv);
  const body = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()]);
  return [iv, cipher.getAuthTag(), body].map((b) => b.toString('base64url')).join('.');
}

/** The plain text, or undefined if none of the cookie keys opens it. */
export function unseal(sealed: string, cookieKeys: readonly string[]): string | undefined {
  const [iv, tag, body] = sealed.split('.').map((part) => Buffer.from(part, 'base64url'));
  if (!iv || !tag || !body) return undefined;
  for (const cookieKey of cookieKeys) {
    try {
      const decipher = createDecipheriv('aes-256-gcm', wrappingKey(cookieKey), iv);
      decipher.setAuthTag(tag);
      return Buffer.concat([decipher.update(body), decipher.final()]).toString('utf8');
    } catch {
      // not this cookie key; try the next
    }
  }
  return undefined;
}
