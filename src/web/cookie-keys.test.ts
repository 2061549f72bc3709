import { createHmac } from 'node:crypto';

import { describe, expect, it } from 'vitest';

import { cookieKeys } from './cookie-keys.js';

describe('cookieKeys', () => {
  it('signs with the newest key (HMAC-SHA256, base64url) and verifies with every key', () => {
    const keys = cookieKeys(['new-key-0123456789abcdef0123456789', 'old-key-0123456789abcdef0123456789']);
    expect(keys.sign('qrid_session=abc')).toBe(createHmac('sha256', 'new-key-0123456789abcdef0123456789').update('qrid_session=abc').digest('base64url'));
    const old = createHmac('sha256', 'old-key-0123456789abcdef0123456789').update('x').digest('base64url');
    expect(keys.index('x', old)).toBe(1);
    expect(keys.verify('x', old)).toBe(true);
    expect(keys.verify('x', `${old.slice(0, -1)}A`)).toBe(false);
    expect(() => cookieKeys([])).toThrow();
  });
});
