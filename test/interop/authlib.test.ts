import { execFile } from 'node:child_process';
import { join } from 'node:path';

import { exportJWK, generateKeyPair, type JWK } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { projectRoot } from '../../src/paths.js';
import { BrowserClient } from '../support/browser-client.js';
import { enrolledPhone } from '../support/phone.js';
import { signInAt } from '../support/sign-in.js';
import { RP_REDIRECT, type RunningQrid, startQrid } from '../support/start-qrid.js';

const PYTHON = '/usr/bin/python3';
const SCRIPT = join(projectRoot, 'test/interop/authlib_rp.py');
const SECRET = 'authlib-client-secret-that-is-long-enough-0123456789';

/** Runs one step of the authlib relying party (authlib_rp.py): JSON in, JSON out. */
function authlib(step: 'start' | 'finish', input: Record<string, unknown>): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    const child = execFile(PYTHON, [SCRIPT, step], { timeout: 60_000 }, (error, stdout, stderr) => {
      let out: Record<string, unknown>;
      try {
        out = JSON.parse(stdout) as Record<string, unknown>;
      } catch {
        reject(new Error(`authlib_rp.py ${step} printed no JSON: ${stdout}${stderr}`));
        return;
      }
      if (error) reject(new Error(`authlib ${step}: ${String(out.error)}: ${String(out.message)}`));
      else resolve(out);
    });
    child.stdin?.end(JSON.stringify(input));
  });
}

/**
 * Python's authlib (Debian's python3-authlib) as a confidential client signing in by QR: once
 * with client_secret_basic, once with private_key_jwt, each verifying an RS256 and an ES256 ID
 * token against qrid's JWKS, then userinfo and a refresh.
 */
describe('interop: authlib (Python) as a confidential client', () => {
  let qrid: RunningQrid;
  let phone: BrowserClient;
  let userId: string;
  const clientKeys: Record<string, JWK> = {};

  beforeAll(async () => {
    const clients = [];
    for (const alg of ['RS256', 'ES256'] as const) {
      const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true });
      const kid = `authlib-${alg}`;
      clientKeys[alg] = { ...(await exportJWK(privateKey)), kid, alg };
      const common = { client_name: `authlib ${alg}`, redirect_uris: [RP_REDIRECT], first_party: true, id_token_signed_response_alg: alg };
      clients.push({ client_id: `authlib-basic-${alg}`, client_secret: SECRET, ...common });
      clients.push({ client_id: `authlib-key-${alg}`, token_endpoint_auth_method: 'private_key_jwt', jwks: { keys: [{ ...(await exportJWK(publicKey)), kid, alg }] }, ...common });
    }
    qrid = await startQrid({ clients });
    ({ phone, userId } = await enrolledPhone(qrid));
  });
  afterAll(async () => {
    await qrid.close();
  });

  for (const method of ['client_secret_basic', 'private_key_jwt'] as const) {
    for (const alg of ['RS256', 'ES256'] as const) {
      it(`${method}, ${alg} ID tokens`, async () => {
        const client = {
          issuer: qrid.issuer,
          client_id: `authlib-${method === 'private_key_jwt' ? 'key' : 'basic'}-${alg}`,
          redirect_uri: RP_REDIRECT,
          scope: 'openid profile email groups',
          auth_method: method,
          ...(method === 'private_key_jwt' ? { private_jwk: clientKeys[alg] } : { client_secret: SECRET }),
          id_token_alg: alg,
        };
        const started = await authlib('start', client);
        expect(new URL(started.authorization_url as string).searchParams.get('code_challenge_method')).toBe('S256');
        const redirectUrl = await signInAt(new BrowserClient(qrid.issuer), phone, started.authorization_url as string);
        const done = await authlib('finish', { ...client, ...started, redirect_url: redirectUrl });

        expect(done.id_token_header).toMatchObject({ alg });
        expect(done.id_token_claims).toMatchObject({ iss: qrid.issuer, aud: client.client_id, sub: userId, acr: 'urn:qrid:acr:device', email: 'alice@example.com' });
        expect(done.userinfo).toMatchObject({ sub: userId, preferred_username: 'alice', email_verified: true, groups: [] });
        // First-party: a refresh token bound to the sign-in; rotated, with a fresh verified ID token.
        expect(done.refreshed).toMatchObject({ rotated: true, id_token_claims: { sub: userId, aud: client.client_id } });
      });
    }
  }

  it('refuses what a careful client must refuse: a replayed code', async () => {
    const client = { issuer: qrid.issuer, client_id: 'authlib-basic-RS256', redirect_uri: RP_REDIRECT, scope: 'openid', auth_method: 'client_secret_basic', client_secret: SECRET, id_token_alg: 'RS256' };
    const started = await authlib('start', client);
    const redirectUrl = await signInAt(new BrowserClient(qrid.issuer), phone, started.authorization_url as string);
    await authlib('finish', { ...client, ...started, redirect_url: redirectUrl });
    await expect(authlib('finish', { ...client, ...started, redirect_url: redirectUrl })).rejects.toThrow(/invalid_grant/);
  });
});
