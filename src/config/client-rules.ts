import type { ClientConfig, TokenEndpointAuthMethod } from './schema.js';

/** The client's token endpoint authentication: as configured, else by whether it has a secret. */
export function authMethodOf(client: Pick<ClientConfig, 'token_endpoint_auth_method' | 'client_secret' | 'client_secret_env'>): TokenEndpointAuthMethod {
  return client.token_endpoint_auth_method ?? (client.client_secret || client.client_secret_env ? 'client_secret_basic' : 'none');
}

/**
 * What a client's fields mean together, checked once its secret is known (it may come from the
 * environment): each message names the field to change.
 */
export function clientProblems(client: ClientConfig, index: number): string[] {
  const at = (field: string) => `clients[${index}].${field}`;
  const method = authMethodOf(client);
  const problems: string[] = [];
  if (!client.redirect_uris.length && !client.device_grant && !client.ciba) {
    problems.push(`${at('redirect_uris')}: give at least one (only a client that uses just the device grant or CIBA has none)`);
  }
  const hasSecret = Boolean(client.client_secret || client.client_secret_env);
  if (method.startsWith('client_secret_') && !hasSecret) {
    problems.push(`${at('token_endpoint_auth_method')}: ${method} needs client_secret or client_secret_env`);
  }
  if ((method === 'none' || method === 'private_key_jwt') && hasSecret) {
    problems.push(`${at('client_secret')}: a client using ${method} has no secret; remove it`);
  }
  if (method === 'private_key_jwt' && !client.jwks === !client.jwks_uri) {
    problems.push(`${at('jwks')}: private_key_jwt needs the client's public keys in jwks or at jwks_uri (one of them)`);
  }
  if (method !== 'private_key_jwt' && (client.jwks || client.jwks_uri)) {
    problems.push(`${at(client.jwks ? 'jwks' : 'jwks_uri')}: only used with token_endpoint_auth_method: private_key_jwt`);
  }
  if (method === 'none' && client.pkce === 'optional') {
    problems.push(`${at('pkce')}: a public client (no client authentication) always needs PKCE`);
  }
  if (client.ciba && method === 'none') {
    problems.push(`${at('ciba')}: a CIBA client must authenticate (CIBA Core 7.1); give it a secret or keys`);
  }
  if (client.ciba === 'ping' && !client.ciba_notification_endpoint) {
    problems.push(`${at('ciba_notification_endpoint')}: ciba: ping needs the client's https notification endpoint`);
  }
  if (client.ciba_notification_endpoint && client.ciba !== 'ping') {
    problems.push(`${at('ciba_notification_endpoint')}: only used with ciba: ping`);
  }
  if (method === 'none' && client.resource_server) {
    problems.push(`${at('resource_server')}: a resource server must authenticate to introspect; give it a secret or keys`);
  }
  return problems;
}
