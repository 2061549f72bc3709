import { timingSafeEqual } from 'node:crypto';

import { hmacSha256 } from '../security/hmac-sha256.js';

/**
 * Cookie signing keys for Koa and oidc-provider (both accept a Keygrip-like object). Keygrip
 * compares signatures through tsscmp, which HMACs both sides under a fresh random key on every
 * comparison: that was over 5% of qrid's CPU in the QR-login benchmark. Here each key's HMAC
 * pads are made once (security/hmac-sha256.ts), signatures are HMAC-SHA256 (base64url), and
 * comparison is crypto.timingSafeEqual. Newest key signs; every key verifies (rotation).
 */
export class CookieKeys {
  readonly #macs: ((data: string) => string)[];

  constructor(keys: ReadonlyArray<string | Buffer>) {
    if (!keys.length) throw new TypeError('at least one cookie key is required');
    this.#macs = keys.map((key) => hmacSha256(typeof key === 'string' ? Buffer.from(key, 'utf8') : key));
  }

  sign(data: string): string {
    return (this.#macs[0] as (data: string) => string)(data);
  }

  verify(data: string, digest: string): boolean {
    return this.index(data, digest) > -1;
  }

  index(data: string, digest: string): number {
    const given = Buffer.from(String(digest));
    for (let i = 0; i < this.#macs.length; i += 1) {
      const expected = Buffer.from((this.#macs[i] as (data: string) => string)(data));
      if (expected.length === given.length && timingSafeEqual(expected, given)) return i;
    }
    return -1;
  }
}
