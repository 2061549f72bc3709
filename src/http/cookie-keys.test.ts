import { createHmac } from 'node:crypto';

import { describe, expect, it } from 'vitest';

import { CookieKeys } from './cookie-keys.js';

describe('CookieKeys', () => {
  it('signs with the newest key and verifies with any, so keys can rotate', () => {
    const old = new CookieKeys(['old-key-0123456789abcdef0123456789']);
    const rotated = new CookieKeys(['new-key-0123456789abcdef0123456789', 'old-key-0123456789abcdef0123456789']);
    const oldSig = old.sign('qrid_session=abc');
    expect(rotated.index('qrid_session=abc', oldSig)).toBe(1);
    expect(rotated.index('qrid_session=abc', rotated.sign('qrid_session=abc'))).toBe(0);
    expect(rotated.sign('qrid_session=abc')).not.toBe(oldSig);
  });

  it('signs as HMAC-SHA256 in base64url, so cookies signed before an upgrade stay valid', () => {
    const key = 'k-0123456789abcdef0123456789abcdef';
    expect(new CookieKeys([key]).sign('_interaction=abc')).toBe(createHmac('sha256', key).update('_interaction=abc').digest('base64url'));
    const bytes = Buffer.from('00ff10ee20dd30cc40bb50aa60997088', 'hex');
    expect(new CookieKeys([bytes]).sign('x')).toBe(createHmac('sha256', bytes).update('x').digest('base64url'));
  });

  it('refuses other data, tampered or truncated signatures and unknown keys', () => {
    const keys = new CookieKeys(['k-0123456789abcdef0123456789abcdef']);
    const sig = keys.sign('a=1');
    expect(keys.verify('a=1', sig)).toBe(true);
    expect(keys.verify('a=2', sig)).toBe(false);
    expect(keys.verify('a=1', `${sig.slice(0, -1)}${sig.endsWith('A') ? 'B' : 'A'}`)).toBe(false);
    expect(keys.verify('a=1', sig.slice(0, 10))).toBe(false);
    expect(keys.verify('a=1', '')).toBe(false);
    expect(new CookieKeys(['other-0123456789abcdef0123456789ab']).verify('a=1', sig)).toBe(false);
  });
});
