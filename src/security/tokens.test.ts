import { describe, expect, it } from 'vitest';

import { formatTypedCode, hashSecret, normalizeTypedCode, randomToken, typedCode, TYPED_CODE_ALPHABET } from './tokens.js';

describe('tokens', () => {
  it('makes 128-bit random tokens that do not repeat', () => {
    const tokens = new Set(Array.from({ length: 1000 }, () => randomToken()));
    expect(tokens.size).toBe(1000);
    for (const t of tokens) expect(Buffer.from(t, 'base64url')).toHaveLength(16);
  });

  it('makes tokens of any size', () => {
    for (const size of [12, 32, 64]) expect(Buffer.from(randomToken(size), 'base64url')).toHaveLength(size);
  });

  it('hashes deterministically and one-way', () => {
    expect(hashSecret('a')).toBe(hashSecret('a'));
    expect(hashSecret('a')).not.toBe(hashSecret('b'));
    expect(hashSecret('a')).not.toContain('a'.repeat(2));
  });

  it('makes typed codes from the unambiguous alphabet and reads them back leniently', () => {
    for (let i = 0; i < 200; i += 1) {
      const code = typedCode();
      expect(code).toMatch(new RegExp(`^[${TYPED_CODE_ALPHABET}]{8}$`));
      expect(normalizeTypedCode(formatTypedCode(code).toLowerCase())).toBe(code);
      expect(normalizeTypedCode(` ${code.slice(0, 4)} ${code.slice(4)} `)).toBe(code);
    }
    expect(normalizeTypedCode('ABCD-EFGH')).toBeUndefined(); // vowels are not in the alphabet
    expect(normalizeTypedCode('BCDF')).toBeUndefined();
    expect(normalizeTypedCode(42)).toBeUndefined();
    expect(normalizeTypedCode('B'.repeat(100))).toBeUndefined();
  });
});
