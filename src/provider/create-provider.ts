import type { JWK } from 'jose';
import Provider, { type Configuration, errors, type KoaContextWithOIDC } from 'oidc-provider';


import type { Consents } from '../accounts/consents.js';
import type { Users } from '../accounts/users.js';
import { createOidcAdapter, DEVICE_CODE_KEPT_SECONDS } from '../adapters/oidc-adapter.js';
import type { ClientConfig, Config } from '../config/schema.js';
import type Keygrip from 'keygrip';

import { cookieKeys as makeCookieKeys } from '../web/cookie-keys.js';
import type { Store } from '../store/store.js';
import type { Views } from '../web/views.js';
import { interactionPolicyWithChecks } from './interaction-policy.js';
import { ACR_VALUES } from './assurance.js';
import { CIBA_MAX_SECONDS, type CibaDeps, cibaFeature, cibaRequestSeconds } from './ciba.js';
import { deviceFlowFeature } from './device-flow.js';
import { toClientMetadata } from './clients.js';
import { findAccount } from './find-account.js';
import { outgoingFetch } from './outgoing-fetch.js';
import { providerPages } from './pages.js';

/**
 * oidc-provider configured for real use: authorization code flow only, PKCE (S256) for every
 * client unless a confidential one is let off, refresh tokens always rotated, RS256 and ES256
 * ID tokens, qrid's own interaction, error and logout pages. qrid never re-implements protocol.
 */
export interface ProviderDeps {
  config: Config;
  /** The clients to serve: the configuration's, or a reloaded list (live-provider.ts). */
  clients?: readonly ClientConfig[];
  store: Store;
  users: Users;
  consents: Consents;
  views: Views;
  jwks: JWK[];
  /** Shared with the parent Koa app (see http/cookie-keys.ts); made from config if absent. */
  cookieKeys?: Keygrip;
  /** How CIBA requests reach a user's devices (provider/ciba.ts); without it (the CLI's checks) a request fails. */
  ciba?: CibaDeps['ask'];
  limiter?: CibaDeps['limiter'];
}

export function createProvider({
  config,
  clients = config.clients,
  store,
  users,
  consents,
  views,
  jwks,
  cookieKeys = makeCookieKeys(config.cookie_keys),
  ciba = async () => {
    throw new errors.TransactionFailed('this qrid cannot reach devices');
  },
  limiter = { hit: async () => undefined },
}: ProviderDeps): Provider {
  const named = (pick: (c: ClientConfig) => boolean) => new Set(clients.filter(pick).map((c) => c.client_id));
  const firstParty = named((c) => c.first_party);
  const resourceServers = named((c) => c.resource_server);
  const pkceOptional = named((c) => c.pkce === 'optional');
  const alwaysConfirmLogout = named((c) => c.always_confirm_logout);
  const pages = providerPages(views, (clientId) => alwaysConfirmLogout.has(clientId));
  const https = config.issuer.startsWith('https:');

  const ttl = {
    AccessToken: config.ttl.access_token,
    AuthorizationCode: config.ttl.authorization_code,
    IdToken: config.ttl.id_token,
    RefreshToken: config.ttl.refresh_token,
    Interaction: config.ttl.interaction,
    Session: config.ttl.session,
    Grant: config.ttl.grant,
    DeviceCode: config.ttl.device_code,
  };

  const configuration: Configuration = {
    // A consumed mark lives as long as its model's longest lifetime (the oidc adapter's note).
    // PAR request URIs live at most as long as an interaction; device codes and CIBA requests
    // are kept a while past their expiry; models qrid sets no TTL for get the longest of all.
    adapter: createOidcAdapter(store, (model) =>
      model === 'PushedAuthorizationRequest'
        ? ttl.Interaction
        : model === 'DeviceCode'
          ? ttl.DeviceCode + DEVICE_CODE_KEPT_SECONDS
          : model === 'BackchannelAuthenticationRequest'
            ? CIBA_MAX_SECONDS + DEVICE_CODE_KEPT_SECONDS
            : (ttl[model as keyof typeof ttl] ?? Math.max(ttl.RefreshToken, ttl.Session, ttl.Grant)),
    ),
    clients: clients.map(toClientMetadata),
    findAccount: findAccount(users),
    jwks: { keys: jwks as Configuration['jwks'] extends { keys: infer K } | undefined ? K : never },
    cookies: {
      keys: cookieKeys as unknown as string[], // a Keygrip, which oidc-provider accepts as well
      // Behind TLS the prefixes make browsers enforce Secure (and, for the session, path=/ with
      // no Domain), so no subdomain or plain-HTTP page can plant or overwrite them.
      names: https
        ? { session: '__Host-qrid_session', interaction: '__Secure-qrid_interaction', resume: '__Secure-qrid_resume' }
        : { session: 'qrid_session', interaction: 'qrid_interaction', resume: 'qrid_resume' },
      long: { httpOnly: true, sameSite: 'lax', signed: true, secure: https },
      short: { httpOnly: true, sameSite: 'lax', signed: true, secure: https },
    },
    // acr, amr, sid and auth_time ride on `openid`, so every ID token says how the login happened.
    // `groups` is its own scope: apps that map roles from groups ask for it.
    claims: {
      openid: ['sub', 'acr', 'amr', 'sid', 'auth_time'],
      profile: ['name', 'preferred_username'],
      email: ['email', 'email_verified'],
      groups: ['groups'],
    },
    scopes: ['openid', 'offline_access', 'profile', 'email', 'groups'],
    // The claims of every granted scope go into the ID token as well as userinfo: many apps
    // (Kubernetes, oauth2-proxy, mod_auth_openidc) read groups and email from the ID token only.
    conformIdTokenClaims: false,
    acrValues: ACR_VALUES,
    responseTypes: ['code'],
    // Public clients always; a confidential client unless its entry says `pkce: optional`.
    pkce: { required: (_ctx, client) => client.clientAuthMethod === 'none' || !pkceOptional.has(client.clientId) },
    clientAuthMethods: ['client_secret_basic', 'client_secret_post', 'client_secret_jwt', 'private_key_jwt', 'none'],
    clientDefaults: {
      grant_types: ['authorization_code'],
      response_types: ['code'],
      id_token_signed_response_alg: 'RS256',
      token_endpoint_auth_method: 'client_secret_basic',
    },
    // What qrid holds keys for (keys/signing-keys.ts); client assertions also in HS256
    // (client_secret_jwt), PS256 and EdDSA.
    enabledJWA: {
      idTokenSigningAlgValues: ['RS256', 'ES256'],
      userinfoSigningAlgValues: ['RS256', 'ES256'],
      introspectionSigningAlgValues: ['RS256', 'ES256'],
      authorizationSigningAlgValues: ['RS256', 'ES256'],
      clientAuthSigningAlgValues: ['HS256', 'RS256', 'PS256', 'ES256', 'EdDSA'],
    },
    features: {
      devInteractions: { enabled: false },
      // Lets an app ask for an essential `acr` (step-up) besides `acr_values`.
      claimsParameter: { enabled: true },
      revocation: { enabled: true },
      // A client learns about its own tokens only; the config names the resource servers (APIs)
      // that may introspect everyone's. oidc-provider's default lets any confidential client.
      introspection: {
        enabled: true,
        allowedPolicy: async (_ctx, client, token) => token.clientId === client.clientId || resourceServers.has(client.clientId),
      },
      userinfo: { enabled: true },
      backchannelLogout: { enabled: true },
      // For clients with `device_grant: true` (provider/device-flow.ts).
      deviceFlow: deviceFlowFeature(views),
      // For clients with `ciba: poll | ping` (provider/ciba.ts).
      ciba: cibaFeature({ users, limiter, config, ask: ciba }),
      rpInitiatedLogout: {
        enabled: true,
        logoutSource: pages.logoutSource,
        postLogoutSuccessSource: pages.postLogoutSuccessSource,
      },
    },
    // A refresh token with `offline_access` (which OpenID Connect grants only with
    // prompt=consent) outlives the sign-in; a first-party app also gets one without it, bound to
    // the qrid session: it ends when the person signs out. Clients with `refresh_tokens: false`
    // never get one.
    issueRefreshToken: async (_ctx, client, code) =>
      client.grantTypeAllowed('refresh_token') && (code.scopes.has('offline_access') || firstParty.has(client.clientId)),
    // Every refresh rotates: a stolen refresh token is good for one use, and its replay
    // (the rightful client refreshing after the thief) revokes the whole grant.
    rotateRefreshToken: true,
    // Revoking any token revokes its grant (the provider's default keeps the grant when an
    // access token is revoked). The store adapter revokes tokens by deleting their grant
    // (src/adapters/oidc-adapter.ts), so the two must always go together.
    revokeGrantPolicy: () => true,
    ttl: { ...ttl, BackchannelAuthenticationRequest: cibaRequestSeconds },
    interactions: {
      url: (_ctx, interaction) => `/interaction/${interaction.uid}`,
      policy: interactionPolicyWithChecks(),
    },
    // First-party apps are trusted by the organisation: their grant is made without a consent
    // page. For any other app, what the person allowed before (remembered for the account, not
    // just this browser session) is granted again; only what is new is asked.
    loadExistingGrant: async (ctx: KoaContextWithOIDC) => {
      const { client, session, result } = ctx.oidc;
      if (!client || !session?.accountId) return undefined;
      const grantId = result?.consent?.grantId ?? session.grantIdFor(client.clientId);
      const existing = grantId ? await ctx.oidc.provider.Grant.find(grantId) : undefined;
      if (firstParty.has(client.clientId)) {
        const grant = existing ?? new ctx.oidc.provider.Grant({ clientId: client.clientId, accountId: session.accountId });
        grant.addOIDCScope([...(ctx.oidc.requestParamScopes ?? [])].join(' '));
        const claims = [...(ctx.oidc.requestParamClaims ?? [])];
        if (claims.length) grant.addOIDCClaims(claims);
        await grant.save();
        return grant;
      }
      if (existing) return existing;
      const remembered = await consents.find(session.accountId, client.clientId);
      if (!remembered) return undefined;
      const grant = new ctx.oidc.provider.Grant({ clientId: client.clientId, accountId: session.accountId });
      grant.addOIDCScope(['openid', ...remembered.scopes].join(' '));
      if (remembered.claims.length) grant.addOIDCClaims(remembered.claims);
      await grant.save();
      return grant;
    },
    renderError: pages.renderError,
    fetch: outgoingFetch(config.outgoing.allow_private_hosts) as Configuration['fetch'],
    // Protocol errors carry only the standard code and description; never internal details.
    extraParams: [],
  };

  const provider = new Provider(config.issuer, configuration);
  // The same client address as qrid's own routes (src/web/client-address.ts). Mounted, the
  // provider reads it through the parent app's context; these keep it so for anything it runs alone.
  provider.proxy = config.proxy;
  provider.maxIpsCount = config.proxy_hops;
  return provider;
}
