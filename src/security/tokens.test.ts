import { describe, expect, it } from 'vitest';

import { formatTypedCode, hashSecret, normalizeTypedCode, randomToken, typedCode, TYPED_CODE_ALPHABET } from './tokens.js';

describe('tokens', () => {
  it('makes 128-bit random tokens that do not repeat', () => {
    const tokens = new Set(Array.from({ length: 1000 }, () => randomToken()));
    expect(tokens.size).toBe(1000);
    for (const t of tokens) expect(Buffer.from(t, 'base64url')).toHaveLength(16);
  });

  it('draws every token from fresh bytes, across pool refills and any size', () => {
    const sizes = [16, 32, 12, 7, 4096, 5000];
    const tokens = Array.from({ length: 3000 }, (_, i) => randomToken(sizes[i % sizes.length]));
    expect(new Set(tokens).size).toBe(tokens.length);
    tokens.forEach((t, i) => expect(Buffer.from(t, 'base64url')).toHaveLength(sizes[i % sizes.length] as number));
    // No token is all zeros (what a byte handed out twice from the zeroed pool would be).
    for (const t of tokens.filter((_, i) => sizes[i % sizes.length] === 16)) expect(t).not.toBe(Buffer.alloc(16).toString('base64url'));
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
