import { isIPv6 } from 'node:net';

import type { Context } from 'koa';

/**
 * The one place qrid reads a request's client address. Koa works it out (`ctx.ip`): the
 * socket's peer, or, with `proxy: true`, the X-Forwarded-For entry the outermost trusted proxy
 * appended (the app's `maxIpsCount` is `proxy_hops`, so entries the client wrote itself, further
 * left, are never read). oidc-provider is given the same two settings (create-provider.ts).
 * IPv4-mapped IPv6 addresses are shown as the IPv4 address they are.
 */
export function clientAddress(ctx: Pick<Context, 'ip'>): string {
  return normalizeIp(ctx.ip);
}

export function normalizeIp(ip: string | undefined): string {
  return (ip ?? '').trim().replace(/^::ffff:(?=\d+\.)/, '') || 'unknown';
}

/**
 * What a per-address rate limit counts: an IPv4 address itself, an IPv6 address by its /64 (a
 * subscriber gets at least a /64 and picks addresses in it freely, so a per-address budget
 * would be unlimited).
 */
export function addressBlock(ip: string): string {
  const address = normalizeIp(ip);
  if (!isIPv6(address)) return address;
  return `${expandIPv6(address).slice(0, 4).join(':')}::/64`;
}

/** The eight groups of an IPv6 address, without leading zeros. */
export function expandIPv6(address: string): string[] {
  const [head = '', tail = ''] = address.split('%')[0]!.split('::');
  const left = head ? head.split(':') : [];
  const right = tail ? tail.split(':') : [];
  const missing = 8 - left.length - right.length;
  return [...left, ...Array.from({ length: Math.max(0, missing) }, () => '0'), ...right].map((g) => g.toLowerCase().replace(/^0+(?=.)/, ''));
}
