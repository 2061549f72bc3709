import { describe, expect, it } from 'vitest';

import { approximateNetwork, describeUserAgent } from './describe-client.js';

describe('describeUserAgent', () => {
  it.each([
    ['Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36', 'Chrome 126', 'Windows'],
    ['Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Safari/605.1.15', 'Safari 17', 'macOS'],
    ['Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0', 'Firefox 128', 'Linux'],
    ['Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) CriOS/126.0 Mobile/15E148 Safari/604.1', 'Chrome 126', 'iOS'],
    ['Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36 Edg/126.0.0.0', 'Edge 126', 'Windows'],
    ['Mozilla/5.0 (Linux; Android 14) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Mobile Safari/537.36', 'Chrome 126', 'Android'],
  ])('%s', (ua, browser, os) => {
    expect(describeUserAgent(ua)).toEqual({ browser, os });
  });

  it('says so when it cannot tell', () => {
    expect(describeUserAgent(undefined)).toEqual({ browser: '', os: '' });
    expect(describeUserAgent('curl/8.0')).toEqual({ browser: '', os: '' });
  });
});

describe('approximateNetwork', () => {
  it('keeps the /24 of IPv4 and the /48 of IPv6', () => {
    expect(approximateNetwork('203.0.113.77')).toBe('203.0.113.0/24');
    expect(approximateNetwork('::ffff:198.51.100.4')).toBe('198.51.100.0/24');
    expect(approximateNetwork('2001:db8:abcd:12::1')).toBe('2001:db8:abcd::/48');
    expect(approximateNetwork('::1')).toBe('0:0:0::/48');
    expect(approximateNetwork('garbage')).toBe('unknown network');
  });
});
