import { hkdfSync } from 'node:crypto';

import Keygrip from 'keygrip';

/**
 * Stateless CSRF tokens: an HMAC over what the form acts on (an interaction, a device, an
 * enrollment link). A token minted for one binding is useless for any other. Every cookie key
 * yields a secret (HKDF, so CSRF tokens and cookie signatures never share a key), so tokens
 * survive key rotation like cookies do. Signing and constant-time checking are Keygrip's.
 */
export class Csrf {
  readonly #signer: Keygrip;

  constructor(cookieKeys: readonly string[]) {
    this.#signer = new Keygrip(
      cookieKeys.map((key) => Buffer.from(hkdfSync('sha256', key, 'qrid', 'csrf-token', 32)).toString('base64')),
      'sha256',
    );
  }

  token(binding: string): string {
    return this.#signer.sign(binding);
  }

  verify(binding: string, token: unknown): boolean {
    return typeof token === 'string' && token.length === 43 && this.#signer.verify(binding, token);
  }
}
