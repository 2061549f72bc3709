import { describe, expect, it } from 'vitest';

import { makeQrHandle, qrHandleApproval } from './qr-handle.js';

describe('QR handles', () => {
  it('name their approval and carry a fresh 128-bit secret', () => {
    const a = makeQrHandle('Uid_of-Interaction1');
    const b = makeQrHandle('Uid_of-Interaction1');
    expect(a).toMatch(/^Uid_of-Interaction1\.[\w-]{22}$/);
    expect(a).not.toBe(b);
    expect(qrHandleApproval(a)).toBe('Uid_of-Interaction1');
  });

  it('reject anything not of that shape', () => {
    for (const bad of ['', 'A'.repeat(22), `uid.${'A'.repeat(21)}`, `uid12345.${'A'.repeat(23)}`, `short.${'A'.repeat(22)}`, `a/b/c/d/e.${'A'.repeat(22)}`, `${'u'.repeat(65)}.${'A'.repeat(22)}`]) {
      expect(qrHandleApproval(bad)).toBeUndefined();
    }
  });

  it('refuses an approval id that would make an ambiguous handle', () => {
    expect(() => makeQrHandle('has.dot.inside')).toThrow(/cannot be part of a QR handle/);
  });
});
