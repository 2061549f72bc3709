import { describe, expect, it } from 'vitest';

import { StreamLimits } from './stream-limits.js';

describe('StreamLimits', () => {
  it('refuses past the limit per interaction and per address, and frees a place on release (once)', () => {
    const limits = new StreamLimits({ perInteraction: 2, perAddress: 3 });
    const a1 = limits.reserve({ interaction: 'a', address: '192.0.2.1' });
    limits.reserve({ interaction: 'a', address: '192.0.2.1' });
    expect(() => limits.reserve({ interaction: 'a', address: '192.0.2.2' })).toThrow(expect.objectContaining({ status: 429, code: 'too_many_streams' }));
    limits.reserve({ interaction: 'b', address: '192.0.2.1' });
    expect(() => limits.reserve({ interaction: 'c', address: '192.0.2.1' })).toThrow(expect.objectContaining({ status: 429 }));
    a1();
    a1();
    expect(() => limits.reserve({ interaction: 'c', address: '192.0.2.1' })).not.toThrow();
    expect(() => limits.reserve({ interaction: 'd', address: '192.0.2.1' })).toThrow(expect.objectContaining({ status: 429 }));
  });

  it('counts an IPv6 client by its /64', () => {
    const limits = new StreamLimits({ perInteraction: 10, perAddress: 2 });
    limits.reserve({ interaction: 'a', address: '2001:db8::1' });
    limits.reserve({ interaction: 'b', address: '2001:db8::2' });
    expect(() => limits.reserve({ interaction: 'c', address: '2001:db8:0:0:ffff::3' })).toThrow(expect.objectContaining({ status: 429 }));
    expect(() => limits.reserve({ interaction: 'c', address: '2001:db8:0:1::3' })).not.toThrow();
  });
});
