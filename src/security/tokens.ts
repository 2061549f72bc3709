import { createHash, randomBytes, randomInt } from 'node:crypto';

/** A fresh unguessable value: 128 bits by default, base64url (22 characters). */
export function randomToken(bytes = 16): string {
  return randomBytes(bytes).toString('base64url');
}

/**
 * How secrets are stored: as their SHA-256. The inputs are 128-bit random values, so a plain
 * hash is enough; a leak of the store reveals nothing usable.
 */
export function hashSecret(secret: string): string {
  return createHash('sha256').update(secret).digest('base64url');
}

/**
 * The typed fallback code: 8 letters from a 20-letter alphabet without vowels (no words, no
 * look-alikes), as RFC 8628 section 6.1 recommends: 20^8 ≈ 2^34.6 values. The guess limits
 * that keep it safe for its lifetime are reckoned in SECURITY.md.
 */
export const TYPED_CODE_ALPHABET = 'BCDFGHJKLMNPQRSTVWXZ';
export const TYPED_CODE_LENGTH = 8;

export function typedCode(): string {
  let code = '';
  for (let i = 0; i < TYPED_CODE_LENGTH; i += 1) code += TYPED_CODE_ALPHABET[randomInt(TYPED_CODE_ALPHABET.length)];
  return code;
}

/** Shown as BCDF-GHJK; typed in any case, with or without separators. */
export function formatTypedCode(code: string): string {
  return `${code.slice(0, 4)}-${code.slice(4)}`;
}

export function normalizeTypedCode(input: unknown): string | undefined {
  if (typeof input !== 'string' || input.length > 64) return undefined;
  const code = input.toUpperCase().replace(/[\s-]/g, '');
  if (code.length !== TYPED_CODE_LENGTH) return undefined;
  for (const char of code) if (!TYPED_CODE_ALPHABET.includes(char)) return undefined;
  return code;
}
