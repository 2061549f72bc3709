import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

import { exportJWK, generateKeyPair } from 'jose';
import * as oidc from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { BrowserClient } from '../support/browser-client.js';
import { answerQr, enrolledPhone, readQrPage } from '../support/phone.js';
import { RelyingParty } from '../support/relying-party.js';
import { completeToCallback, signIn, signInAt } from '../support/sign-in.js';
import { CONFIDENTIAL, FIRST_PARTY, RP_REDIRECT, type RunningQrid, startQrid, TEST_RP_CLIENT } from '../support/start-qrid.js';

const SECRET = 'a-client-secret-that-is-long-enough-0123456789';

/**
 * Every client authentication method discovery lists works for a client configured with it
 * (and only for such a client), with openid-client as the relying party; PKCE is required
 * unless a confidential client's entry says otherwise.
 */
describe('client authentication and PKCE', () => {
  let qrid: RunningQrid;
  let phone: BrowserClient;
  let jwksServer: Server;
  const keys = { inline: undefined as unknown as CryptoKeyPair, remote: undefined as unknown as CryptoKeyPair };

  beforeAll(async () => {
    keys.inline = await generateKeyPair('ES256');
    keys.remote = await generateKeyPair('RS256');
    const remoteJwk = { ...(await exportJWK(keys.remote.publicKey)), kid: 'remote-1', alg: 'RS256', use: 'sig' };
    jwksServer = createServer((_req, res) => {
      res.setHeader('Content-Type', 'application/json');
      res.end(JSON.stringify({ keys: [remoteJwk] }));
    });
    await new Promise<void>((resolve) => jwksServer.listen(0, '127.0.0.1', resolve));
    const jwksUri = `http://127.0.0.1:${(jwksServer.address() as AddressInfo).port}/jwks.json`;
    const client = (id: string, extra: Record<string, unknown>) => ({ client_id: id, client_name: id, redirect_uris: [RP_REDIRECT], ...extra });
    qrid = await startQrid({
      // The key server is on loopback: oidc-provider refuses private addresses unless listed.
      outgoing: { allow_private_hosts: ['127.0.0.1'] },
      clients: [
        TEST_RP_CLIENT,
        { ...client(FIRST_PARTY.id, { first_party: true }) },
        client('post-rp', { client_secret: SECRET, token_endpoint_auth_method: 'client_secret_post' }),
        client('jwt-rp', { client_secret: SECRET, token_endpoint_auth_method: 'client_secret_jwt' }),
        client('key-rp', { token_endpoint_auth_method: 'private_key_jwt', jwks: { keys: [{ ...(await exportJWK(keys.inline.publicKey)), kid: 'inline-1' }] } }),
        client('remote-key-rp', { token_endpoint_auth_method: 'private_key_jwt', jwks_uri: jwksUri }),
        client('no-pkce-rp', { client_secret: SECRET, pkce: 'optional' }),
      ],
    });
    ({ phone } = await enrolledPhone(qrid));
  });
  afterAll(async () => {
    await qrid.close();
    jwksServer.close();
  });

  async function redeemWith(rp: RelyingParty) {
    const tokens = await rp.redeem(await signIn(new BrowserClient(qrid.issuer), phone, rp));
    expect(tokens.claims()?.iss).toBe(qrid.issuer);
    return tokens;
  }

  it('lists exactly the methods qrid accepts', async () => {
    const discovery = (await (await fetch(`${qrid.issuer}/.well-known/openid-configuration`)).json()) as Record<string, string[]>;
    expect([...(discovery.token_endpoint_auth_methods_supported ?? [])].sort()).toEqual(['client_secret_basic', 'client_secret_jwt', 'client_secret_post', 'none', 'private_key_jwt']);
    expect(discovery.token_endpoint_auth_signing_alg_values_supported).toEqual(expect.arrayContaining(['HS256', 'RS256', 'ES256']));
    expect(discovery.code_challenge_methods_supported).toEqual(['S256']);
  });

  it('client_secret_basic (the default with a secret) and none (without one)', async () => {
    await redeemWith(await RelyingParty.discover(qrid.issuer));
    await redeemWith(await RelyingParty.discover(qrid.issuer, FIRST_PARTY.id, null));
  });

  it('client_secret_post (oidc-provider takes a secret in the body or the Authorization header alike)', async () => {
    await redeemWith(await RelyingParty.discoverWith(qrid.issuer, 'post-rp', oidc.ClientSecretPost(SECRET)));
    const wrong = await RelyingParty.discoverWith(qrid.issuer, 'post-rp', oidc.ClientSecretPost(`${SECRET}-wrong`));
    await expectInvalidClient(redeemWith(wrong));
  });

  it('client_secret_jwt, and no plain secret for its client', async () => {
    await redeemWith(await RelyingParty.discoverWith(qrid.issuer, 'jwt-rp', oidc.ClientSecretJwt(SECRET)));
    const wrong = await RelyingParty.discoverWith(qrid.issuer, 'jwt-rp', oidc.ClientSecretJwt(`${SECRET}-wrong`));
    await expectInvalidClient(redeemWith(wrong));
    const plain = await RelyingParty.discoverWith(qrid.issuer, 'jwt-rp', oidc.ClientSecretBasic(SECRET));
    await expectInvalidClient(redeemWith(plain));
  });

  it('private_key_jwt with keys in the configuration, and with keys fetched from jwks_uri', async () => {
    await redeemWith(await RelyingParty.discoverWith(qrid.issuer, 'key-rp', oidc.PrivateKeyJwt({ key: keys.inline.privateKey, kid: 'inline-1' })));
    await redeemWith(await RelyingParty.discoverWith(qrid.issuer, 'remote-key-rp', oidc.PrivateKeyJwt({ key: keys.remote.privateKey, kid: 'remote-1' })));
    // Another client's key proves nothing.
    const impostor = await RelyingParty.discoverWith(qrid.issuer, 'key-rp', oidc.PrivateKeyJwt({ key: keys.remote.privateKey, kid: 'inline-1' }));
    await expectInvalidClient(redeemWith(impostor));
    // A client with keys has no secret to send.
    const secret = await RelyingParty.discoverWith(qrid.issuer, 'key-rp', oidc.ClientSecretBasic(SECRET));
    await expectInvalidClient(redeemWith(secret));
  });

  it('refuses a sign-in without PKCE by default, even for a confidential client', async () => {
    const rp = await RelyingParty.discover(qrid.issuer, CONFIDENTIAL.id, CONFIDENTIAL.secret);
    const url = new URL(await rp.authorizationUrl());
    url.searchParams.delete('code_challenge');
    url.searchParams.delete('code_challenge_method');
    const answer = await new BrowserClient(qrid.issuer).get(url.pathname + url.search);
    expect(answer.status).toBe(303);
    const back = new URL(answer.location as string);
    expect(`${back.origin}${back.pathname}`).toBe(RP_REDIRECT);
    expect(back.searchParams.get('error')).toBe('invalid_request');
    expect(back.searchParams.get('error_description')).toMatch(/PKCE/);
  });

  it('lets a client configured with pkce: optional sign in without it (and still checks PKCE when sent)', async () => {
    const rp = await RelyingParty.discoverWith(qrid.issuer, 'no-pkce-rp', oidc.ClientSecretBasic(SECRET));
    const url = new URL(await rp.authorizationUrl());
    url.searchParams.delete('code_challenge');
    url.searchParams.delete('code_challenge_method');
    const callback = await signInAt(new BrowserClient(qrid.issuer), phone, url.pathname + url.search);
    const tokens = await oidc.authorizationCodeGrant(rp.config, new URL(callback), { expectedState: rp.state, expectedNonce: rp.nonce, idTokenExpected: true });
    expect(tokens.claims()?.aud).toBe('no-pkce-rp');

    const withPkce = new RelyingParty(rp);
    const desktop = new BrowserClient(qrid.issuer);
    const waiting = readQrPage(await desktop.follow(await desktop.get(await withPkce.authorizationUrl())));
    withPkce.verifier = oidc.randomPKCECodeVerifier(); // not the one the challenge was made from
    await answerQr(phone, waiting.qrUrl);
    const page = await completeToCallback(desktop, waiting);
    await expect(withPkce.redeem(page.location as string)).rejects.toMatchObject({ error: 'invalid_grant' });
  });
});

/** The token endpoint refused the client: `invalid_client` in the body, or in a Basic challenge. */
async function expectInvalidClient(attempt: Promise<unknown>): Promise<void> {
  const error = (await attempt.then(
    () => undefined,
    (e: unknown) => e,
  )) as { error?: string; cause?: { parameters?: { error?: string } }[] } | undefined;
  expect(error, 'the token endpoint accepted the client').toBeDefined();
  expect(error?.error ?? error?.cause?.[0]?.parameters?.error).toBe('invalid_client');
}
