import * as oidc from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { BrowserClient } from '../support/browser-client.js';
import { enrolledPhone } from '../support/phone.js';
import { RelyingParty } from '../support/relying-party.js';
import { signIn } from '../support/sign-in.js';
import { RP_REDIRECT, type RunningQrid, startQrid, TEST_RP_CLIENT } from '../support/start-qrid.js';

const OTHER = { client_id: 'other-app', client_secret: 'other-app-secret-that-is-long-enough-0123', client_name: 'Other app', redirect_uris: [RP_REDIRECT] };
const API = { client_id: 'orders-api', client_secret: 'orders-api-secret-that-is-long-enough-012', client_name: 'Orders API', redirect_uris: [RP_REDIRECT], resource_server: true };

/**
 * Security suite, item 23 (see SECURITY.md): a client may introspect only tokens issued to it,
 * unless the config names it a resource server, which may introspect every client's tokens.
 * Revocation of another client's token is refused as well (oidc-provider's own default).
 */
describe('security: introspection is limited to a client\'s own tokens', () => {
  let qrid: RunningQrid;
  let tokens: oidc.TokenEndpointResponse;

  beforeAll(async () => {
    qrid = await startQrid({ clients: [TEST_RP_CLIENT, OTHER, API] });
    const { phone } = await enrolledPhone(qrid);
    const rp = await RelyingParty.discover(qrid.issuer);
    const desktop = new BrowserClient(qrid.issuer);
    const own = new RelyingParty(rp);
    tokens = await own.redeem(await signIn(desktop, phone, own));
  });
  afterAll(async () => {
    await qrid.close();
  });

  const as = (client: { client_id: string; client_secret: string }) =>
    oidc.discovery(new URL(qrid.issuer), client.client_id, client.client_secret, undefined, { execute: [oidc.allowInsecureRequests] });

  it('[23] another confidential client learns nothing about a token; the token\'s own client and a named resource server do', async () => {
    const byOwner = await oidc.tokenIntrospection(await as(TEST_RP_CLIENT as { client_id: string; client_secret: string }), tokens.access_token);
    expect(byOwner.active).toBe(true);
    expect(byOwner.client_id).toBe(TEST_RP_CLIENT.client_id);

    const byOther = await oidc.tokenIntrospection(await as(OTHER), tokens.access_token);
    expect(byOther).toEqual({ active: false });

    const byApi = await oidc.tokenIntrospection(await as(API), tokens.access_token);
    expect(byApi.active).toBe(true);
    expect(byApi.sub).toBe(byOwner.sub);

    // Revoking someone else's token is refused, and the token keeps working.
    await expect(oidc.tokenRevocation(await as(OTHER), tokens.access_token)).rejects.toThrow();
    expect((await oidc.tokenIntrospection(await as(TEST_RP_CLIENT as { client_id: string; client_secret: string }), tokens.access_token)).active).toBe(true);
  });
});
