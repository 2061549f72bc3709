import { createHmac, createSecretKey, type KeyObject, timingSafeEqual } from 'node:crypto';

/**
 * Cookie signing keys for Koa and oidc-provider (both accept a Keygrip-like object). Keygrip
 * compares signatures through tsscmp, which HMACs both sides under a fresh random key on every
 * comparison: that was over 5% of qrid's CPU in the QR-login benchmark. Here the keys are
 * KeyObjects made once, signatures are HMAC-SHA256 (base64url), and comparison is
 * crypto.timingSafeEqual. Newest key signs; every key verifies (rotation).
 */
export class CookieKeys {
  readonly #keys: KeyObject[];

  constructor(keys: ReadonlyArray<string | Buffer>) {
    if (!keys.length) throw new TypeError('at least one cookie key is required');
    this.#keys = keys.map((key) => createSecretKey(typeof key === 'string' ? Buffer.from(key, 'utf8') : key));
  }

  sign(data: string): string {
    return mac(this.#keys[0] as KeyObject, data);
  }

  verify(data: string, digest: string): boolean {
    return this.index(data, digest) > -1;
  }

  index(data: string, digest: string): number {
    const given = Buffer.from(String(digest));
    for (let i = 0; i < this.#keys.length; i += 1) {
      const expected = Buffer.from(mac(this.#keys[i] as KeyObject, data));
      if (expected.length === given.length && timingSafeEqual(expected, given)) return i;
    }
    return -1;
  }
}

function mac(key: KeyObject, data: string): string {
  return createHmac('sha256', key).update(data).digest('base64url');
}
