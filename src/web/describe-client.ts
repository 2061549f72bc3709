import { isIPv4, isIPv6 } from 'node:net';

import { expandIPv6 } from './client-address.js';

/**
 * What the phone shows about the browser asking to sign in: enough for a person to recognise
 * their own computer (or notice it is not theirs). Deliberately coarse; no fingerprinting.
 */
export interface ClientDescription {
  /** '' when the user agent names no browser qrid knows. */
  browser: string;
  /** '' when it names no system qrid knows. */
  os: string;
}

const BROWSERS: Array<[RegExp, string]> = [
  [/Edg(e|A|iOS)?\/(\d+)/, 'Edge'],
  [/OPR\/(\d+)/, 'Opera'],
  [/SamsungBrowser\/(\d+)/, 'Samsung Internet'],
  [/Firefox\/(\d+)|FxiOS\/(\d+)/, 'Firefox'],
  [/Chrome\/(\d+)|CriOS\/(\d+)/, 'Chrome'],
  [/Version\/(\d+)[\d.]* (Mobile\/\S+ )?Safari\//, 'Safari'],
];

const SYSTEMS: Array<[RegExp, string]> = [
  [/Windows NT/, 'Windows'],
  [/iPhone|iPad|iPod/, 'iOS'],
  [/Android/, 'Android'],
  [/CrOS/, 'ChromeOS'],
  [/Mac OS X|Macintosh/, 'macOS'],
  [/Linux/, 'Linux'],
];

export function describeUserAgent(userAgent: string | undefined): ClientDescription {
  const ua = (userAgent ?? '').slice(0, 512);
  let browser = '';
  for (const [pattern, name] of BROWSERS) {
    const match = pattern.exec(ua);
    if (match) {
      const version = match.slice(1).find((part) => part && /^\d+$/.test(part));
      browser = version ? `${name} ${version}` : name;
      break;
    }
  }
  if (/HeadlessChrome/.test(ua)) browser = browser.replace('Chrome', 'Headless Chrome');
  const os = SYSTEMS.find(([pattern]) => pattern.test(ua))?.[1] ?? '';
  return { browser, os };
}

/** The network an address belongs to, as a person can compare it: /24 for IPv4, /48 for IPv6. */
export function approximateNetwork(ip: string | undefined): string {
  const address = (ip ?? '').replace(/^::ffff:(?=\d+\.)/, '');
  if (isIPv4(address)) {
    const parts = address.split('.');
    return `${parts.slice(0, 3).join('.')}.0/24`;
  }
  if (isIPv6(address)) {
    const groups = expandIPv6(address);
    return `${groups.slice(0, 3).join(':')}::/48`;
  }
  return 'unknown network';
}

