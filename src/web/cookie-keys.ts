import Keygrip from 'keygrip';

/**
 * The cookie signing keys, for Koa and oidc-provider alike (both take a Keygrip): HMAC-SHA256,
 * newest key signs, every key verifies (rotation), comparison in constant time (Keygrip's).
 */
export function cookieKeys(keys: readonly string[]): Keygrip {
  if (keys.length === 0) throw new TypeError('at least one cookie key is required');
  return new Keygrip([...keys], 'sha256');
}
