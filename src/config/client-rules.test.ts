import { describe, expect, it } from 'vitest';

import { loadConfig } from './load.js';

const base = { issuer: 'https://id.example.com', cookie_keys: ['k'.repeat(32)] };
const SECRET = 's'.repeat(32);
const client = (extra: Record<string, unknown>) => ({ client_id: 'app', client_name: 'App', redirect_uris: ['https://app.example.com/cb'], ...extra });
const problems = (extra: Record<string, unknown>, env: Record<string, string> = {}) => {
  try {
    loadConfig({ env, raw: { ...base, clients: [client(extra)] } });
    return [];
  } catch (error) {
    return (error as { problems: string[] }).problems;
  }
};

describe('client fields that go together', () => {
  it('accepts each authentication method with what it needs', () => {
    expect(problems({})).toEqual([]);
    expect(problems({ client_secret: SECRET })).toEqual([]);
    expect(problems({ client_secret: SECRET, token_endpoint_auth_method: 'client_secret_post' })).toEqual([]);
    expect(problems({ client_secret_env: 'APP_SECRET', token_endpoint_auth_method: 'client_secret_jwt' }, { APP_SECRET: SECRET })).toEqual([]);
    expect(problems({ token_endpoint_auth_method: 'private_key_jwt', jwks_uri: 'https://app.example.com/jwks' })).toEqual([]);
    expect(problems({ token_endpoint_auth_method: 'private_key_jwt', jwks: { keys: [{ kty: 'EC', crv: 'P-256', x: 'x', y: 'y' }] } })).toEqual([]);
  });

  it('names the field when a method lacks what it needs or has what it must not', () => {
    expect(problems({ token_endpoint_auth_method: 'client_secret_jwt' })).toEqual(['clients[0].token_endpoint_auth_method: client_secret_jwt needs client_secret or client_secret_env']);
    expect(problems({ token_endpoint_auth_method: 'none', client_secret: SECRET })).toEqual(['clients[0].client_secret: a client using none has no secret; remove it']);
    expect(problems({ token_endpoint_auth_method: 'private_key_jwt' })).toEqual([
      "clients[0].jwks: private_key_jwt needs the client's public keys in jwks or at jwks_uri (one of them)",
    ]);
    expect(problems({ token_endpoint_auth_method: 'private_key_jwt', jwks_uri: 'https://a.example/j', jwks: { keys: [{ kty: 'EC' }] } })).toHaveLength(1);
    expect(problems({ client_secret: SECRET, jwks_uri: 'https://app.example.com/jwks' })).toEqual([
      'clients[0].jwks_uri: only used with token_endpoint_auth_method: private_key_jwt',
    ]);
    expect(problems({ pkce: 'optional' })).toEqual(['clients[0].pkce: a public client (no client authentication) always needs PKCE']);
    expect(problems({ resource_server: true })).toEqual(['clients[0].resource_server: a resource server must authenticate to introspect; give it a secret or keys']);
  });

  it('refuses a private key, an unknown method or algorithm, naming the field', () => {
    expect(problems({ token_endpoint_auth_method: 'private_key_jwt', jwks: { keys: [{ kty: 'EC', crv: 'P-256', x: 'x', y: 'y', d: 'secret' }] } })).toEqual([
      'clients[0].jwks.keys[0]: must be a public key (it has private key members)',
    ]);
    expect(problems({ token_endpoint_auth_method: 'tls_client_auth' })[0]).toMatch(/^clients\[0\]\.token_endpoint_auth_method: /);
    expect(problems({ id_token_signed_response_alg: 'HS256' })[0]).toMatch(/^clients\[0\]\.id_token_signed_response_alg: /);
    expect(problems({ pkce: 'sometimes' })[0]).toMatch(/^clients\[0\]\.pkce: /);
  });
});
