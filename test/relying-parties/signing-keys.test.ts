import { createLocalJWKSet, decodeProtectedHeader, type JSONWebKeySet, jwtVerify } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { keysRetire, keysRotate } from '../../src/cli/keys-commands.js';
import { BrowserClient } from '../support/browser-client.js';
import { enrolledPhone } from '../support/phone.js';
import { RelyingParty } from '../support/relying-party.js';
import { signIn } from '../support/sign-in.js';
import { CONFIDENTIAL, RP_LOGOUT_REDIRECT, RP_REDIRECT, type RunningQrid, startQrid } from '../support/start-qrid.js';

const ES_CLIENT = { id: 'es256-rp', secret: 'es256-rp-secret-that-is-long-enough-0123456789' };

/**
 * ID tokens in RS256 (the default) and ES256 (a client's choice), both keys in the JWKS, and
 * a rotation as an operator runs it: the new key published first, signing later, the old one
 * verifying until it is retired.
 */
describe('signing keys', () => {
  let qrid: RunningQrid;
  let phone: BrowserClient;
  const io = { lines: [] as string[], out: (line: string) => void io.lines.push(line) };

  beforeAll(async () => {
    qrid = await startQrid({
      clients: [
        { client_id: CONFIDENTIAL.id, client_secret: CONFIDENTIAL.secret, client_name: 'Test RP', redirect_uris: [RP_REDIRECT], post_logout_redirect_uris: [RP_LOGOUT_REDIRECT] },
        { client_id: ES_CLIENT.id, client_secret: ES_CLIENT.secret, client_name: 'ES256 RP', redirect_uris: [RP_REDIRECT], id_token_signed_response_alg: 'ES256' },
      ],
    });
    ({ phone } = await enrolledPhone(qrid));
  });
  afterAll(async () => {
    await qrid.close();
  });

  const jwks = async () => (await (await fetch(`${qrid.issuer}/jwks`)).json()) as JSONWebKeySet;

  async function idToken(clientId: string, secret: string): Promise<string> {
    const rp = await RelyingParty.discover(qrid.issuer, clientId, secret);
    const tokens = await rp.redeem(await signIn(new BrowserClient(qrid.issuer), phone, rp));
    return tokens.id_token as string;
  }

  it('publishes an RSA and an EC key, public parts only, and says so in discovery', async () => {
    const discovery = (await (await fetch(`${qrid.issuer}/.well-known/openid-configuration`)).json()) as Record<string, string[]>;
    expect(discovery.id_token_signing_alg_values_supported).toEqual(expect.arrayContaining(['RS256', 'ES256']));
    const { keys } = await jwks();
    expect(keys.map((k) => [k.kty, k.alg]).sort()).toEqual([
      ['EC', 'ES256'],
      ['RSA', 'RS256'],
    ]);
    for (const key of keys) for (const secret of ['d', 'p', 'q', 'dp', 'dq', 'qi']) expect(key).not.toHaveProperty(secret);
    expect(keys.find((k) => k.kty === 'RSA')?.n?.length).toBeGreaterThanOrEqual(342); // 2048 bits
  });

  it('signs ID tokens RS256 by default and ES256 for a client that chose it; both verify against the JWKS', async () => {
    const set = createLocalJWKSet(await jwks());
    const rs = await idToken(CONFIDENTIAL.id, CONFIDENTIAL.secret);
    const es = await idToken(ES_CLIENT.id, ES_CLIENT.secret);
    expect((await jwtVerify(rs, set, { issuer: qrid.issuer, audience: CONFIDENTIAL.id, algorithms: ['RS256'] })).protectedHeader.alg).toBe('RS256');
    expect((await jwtVerify(es, set, { issuer: qrid.issuer, audience: ES_CLIENT.id, algorithms: ['ES256'] })).protectedHeader.alg).toBe('ES256');
  });

  it('rotates: publishes the new key at once, signs with it from its time, keeps the old one verifying until retired', async () => {
    const { store, config } = qrid;
    const before = await idToken(CONFIDENTIAL.id, CONFIDENTIAL.secret);
    const oldKid = decodeProtectedHeader(before).kid as string;

    await keysRotate(config, store, io, { alg: 'RS256', delayHours: '24' });
    const added = /Added (\S+)\tRS256\tpending/.exec(io.lines.join('\n'))?.[1] as string;
    expect(added).toBeTruthy();
    // Published by the running instance (it reloads on the store's message), not signing yet.
    await expect.poll(async () => (await jwks()).keys.map((k) => k.kid), { timeout: 20_000 }).toContain(added);
    expect(decodeProtectedHeader(await idToken(CONFIDENTIAL.id, CONFIDENTIAL.secret)).kid).toBe(oldKid);
    await expect(keysRotate(config, store, io, { alg: 'RS256' })).rejects.toThrow(/already waiting/);

    // An operator who cannot wait (or a test): retire the pending key and rotate with no delay.
    await keysRetire(config, store, io, { kid: added });
    await keysRotate(config, store, io, { alg: 'RS256', delayHours: '0' });
    const next = [...io.lines.join('\n').matchAll(/Added (\S+)\tRS256/g)].at(-1)?.[1] as string;
    await expect.poll(async () => decodeProtectedHeader(await idToken(CONFIDENTIAL.id, CONFIDENTIAL.secret)).kid, { timeout: 20_000 }).toBe(next);
    // The token signed before still verifies: the old key is still published.
    await jwtVerify(before, createLocalJWKSet(await jwks()), { issuer: qrid.issuer, audience: CONFIDENTIAL.id });

    // Its tokens live an hour: retiring it now is refused unless forced.
    await expect(keysRetire(config, store, io, { kid: oldKid })).rejects.toThrow(/may still be valid until/);
    await expect(keysRetire(config, store, io, { kid: next })).rejects.toThrow(/is the key that signs RS256 tokens/);
    await keysRetire(config, store, io, { kid: oldKid, force: true });
    await expect.poll(async () => (await jwks()).keys.map((k) => k.kid), { timeout: 20_000 }).not.toContain(oldKid);
    await expect(jwtVerify(before, createLocalJWKSet(await jwks()))).rejects.toThrow();
    // ES256 was never touched.
    expect((await jwks()).keys.filter((k) => k.alg === 'ES256')).toHaveLength(1);
  });
});
