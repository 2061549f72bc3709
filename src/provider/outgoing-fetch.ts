/**
 * oidc-provider's outgoing requests (back-channel logout, clients' jwks_uri): its default dispatcher refuses
 * private and loopback addresses (SSRF protection). Hosts named in
 * `outgoing.allow_private_hosts` are let through without that guard; all others keep it.
 */
export function outgoingFetch(allowPrivateHosts: readonly string[]) {
  const allowed = new Set(allowPrivateHosts.map((h) => h.toLowerCase()));
  return (url: URL | string, options: RequestInit & { dispatcher?: unknown }): Promise<Response> => {
    const host = new URL(url).hostname.toLowerCase().replace(/^\[|\]$/g, '');
    if (allowed.has(host)) {
      const { dispatcher: _guarded, ...rest } = options;
      return globalThis.fetch(url, rest);
    }
    return globalThis.fetch(url, options);
  };
}
