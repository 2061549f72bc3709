import { randomBytes } from 'node:crypto';

import QRCode from 'qrcode';
import { describe, expect, it } from 'vitest';

import { encodeQr } from './qr-encoder.js';

/** The `qrcode` package's matrix for the same text, version, level and mask. */
function reference(data: Uint8Array) {
  const qr = QRCode.create([{ data: Buffer.from(data), mode: 'byte' }], { errorCorrectionLevel: 'M', maskPattern: 2 });
  return { version: qr.version, size: qr.modules.size, modules: Uint8Array.from(qr.modules.data as ArrayLike<number>) };
}

describe('encodeQr', () => {
  it('matches the qrcode package module for module, in every version', () => {
    // The largest byte count each version holds at level M, and one more than the previous version's.
    let previous = 0;
    for (let version = 1; version <= 40; version += 1) {
      let max = previous;
      while (max < 2331 && reference(new Uint8Array(max + 1).fill(0x41)).version === version) max += 1;
      for (const length of new Set([previous + 1, Math.floor((previous + max) / 2), max])) {
        const data = randomBytes(length);
        const ours = encodeQr(data);
        const theirs = reference(data);
        expect({ version: ours.version, length }).toEqual({ version, length });
        expect(ours.size).toBe(theirs.size);
        expect(Buffer.from(ours.modules).equals(Buffer.from(theirs.modules))).toBe(true);
      }
      previous = max;
    }
  }, 60_000);

  it('matches it for the links the QR page shows', () => {
    for (let i = 0; i < 200; i += 1) {
      const url = `https://id.example.test/q/${randomBytes(16).toString('base64url')}.${randomBytes(16).toString('base64url')}`;
      const data = Buffer.from(url);
      expect(Buffer.from(encodeQr(data).modules).equals(Buffer.from(reference(data).modules))).toBe(true);
    }
  });

  it('refuses text longer than the largest code holds', () => {
    expect(() => encodeQr(new Uint8Array(2332))).toThrow(/at most 2331 bytes/);
    expect(encodeQr(new Uint8Array(2331)).version).toBe(40);
  });
});
