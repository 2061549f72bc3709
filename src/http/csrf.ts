import { createHmac, createSecretKey, hkdfSync, type KeyObject, timingSafeEqual } from 'node:crypto';

/**
 * Stateless CSRF tokens: an HMAC over what the form acts on (an interaction, a device, an
 * enrollment link). A token minted for one binding is useless for any other. Every cookie key
 * yields a secret, so tokens survive key rotation like cookies do.
 */
export class Csrf {
  readonly #secrets: KeyObject[];

  constructor(cookieKeys: readonly string[]) {
    this.#secrets = cookieKeys.map((key) => createSecretKey(Buffer.from(hkdfSync('sha256', key, 'qrid', 'csrf-token', 32))));
  }

  token(binding: string): string {
    return this.#mac(this.#secrets[0] as KeyObject, binding);
  }

  verify(binding: string, token: unknown): boolean {
    if (typeof token !== 'string' || token.length !== 43) return false;
    const given = Buffer.from(token);
    return this.#secrets.some((secret) => {
      const expected = Buffer.from(this.#mac(secret, binding));
      return expected.length === given.length && timingSafeEqual(expected, given);
    });
  }

  #mac(secret: KeyObject, binding: string): string {
    return createHmac('sha256', secret).update(binding).digest('base64url');
  }
}
