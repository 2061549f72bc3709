import * as oidc from 'openid-client';

import { CONFIDENTIAL, RP_REDIRECT } from './start-qrid.js';

/** A real relying party: openid-client, discovering qrid over HTTP. */
export class RelyingParty {
  verifier = oidc.randomPKCECodeVerifier();
  state = oidc.randomState();
  nonce = oidc.randomNonce();

  /** A new authorization attempt (fresh state, nonce, verifier) of the same client. */
  constructor(from: RelyingParty | oidc.Configuration) {
    this.config = from instanceof RelyingParty ? from.config : from;
  }

  readonly config: oidc.Configuration;

  static async discover(issuer: string, clientId = CONFIDENTIAL.id, secret: string | null = CONFIDENTIAL.secret): Promise<RelyingParty> {
    const config = await oidc.discovery(new URL(issuer), clientId, secret ?? undefined, secret ? undefined : oidc.None(), {
      execute: [oidc.allowInsecureRequests],
    });
    return new RelyingParty(config);
  }

  /** Any client, authenticating as `auth` says (openid-client's ClientSecretPost, PrivateKeyJwt, …). */
  static async discoverWith(issuer: string, clientId: string, auth: oidc.ClientAuth, metadata: Partial<oidc.ClientMetadata> = {}): Promise<RelyingParty> {
    const config = await oidc.discovery(new URL(issuer), clientId, metadata, auth, { execute: [oidc.allowInsecureRequests] });
    return new RelyingParty(config);
  }

  async authorizationUrl(extra: Record<string, string> = {}): Promise<string> {
    return oidc
      .buildAuthorizationUrl(this.config, {
        redirect_uri: RP_REDIRECT,
        scope: 'openid profile email',
        code_challenge: await oidc.calculatePKCECodeChallenge(this.verifier),
        code_challenge_method: 'S256',
        state: this.state,
        nonce: this.nonce,
        ...extra,
      })
      .href;
  }

  async redeem(callbackUrl: string) {
    return oidc.authorizationCodeGrant(this.config, new URL(callbackUrl), {
      pkceCodeVerifier: this.verifier,
      expectedState: this.state,
      expectedNonce: this.nonce,
      idTokenExpected: true,
    });
  }
}
