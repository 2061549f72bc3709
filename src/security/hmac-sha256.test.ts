import { createHmac, randomBytes } from 'node:crypto';

import { describe, expect, it } from 'vitest';

import { hmacSha256 } from './hmac-sha256.js';

const reference = (key: Buffer, data: string) => createHmac('sha256', key).update(data).digest('base64url');

describe('hmacSha256', () => {
  it('matches RFC 4231 test case 2', () => {
    const mac = hmacSha256(Buffer.from('Jefe'));
    expect(Buffer.from(mac('what do ya want for nothing?'), 'base64url').toString('hex')).toBe('5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843');
  });

  it("is node's createHmac for short, block-sized, long and empty keys and any message", () => {
    const messages = ['', 'a', 'é☃ unicode 😀', 'x'.repeat(55), 'y'.repeat(64), 'z'.repeat(1000)];
    for (const length of [0, 1, 32, 63, 64, 65, 131]) {
      const key = randomBytes(length);
      const mac = hmacSha256(key);
      for (const data of messages) expect(mac(data)).toBe(reference(key, data));
    }
  });

  it('gives the same answer when called again (its reused buffer holds nothing over)', () => {
    const key = randomBytes(40);
    const mac = hmacSha256(key);
    const first = mac('first');
    mac('something else entirely, and longer than the first');
    expect(mac('first')).toBe(first);
    expect(first).toBe(reference(key, 'first'));
  });
});
