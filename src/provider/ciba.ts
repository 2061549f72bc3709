import type Provider from 'oidc-provider';
import { type Configuration, errors } from 'oidc-provider';

import type { Users } from '../accounts/users.js';
import type { Config } from '../config/schema.js';
import { QridError } from '../errors/qrid-error.js';
import type { RateLimiter } from '../rate-limit/rate-limiter.js';
import { clientAddress } from '../web/client-address.js';
import { acrRequest } from './assurance.js';

/**
 * OpenID Connect CIBA (Client-Initiated Backchannel Authentication), oidc-provider's
 * `features.ciba`, poll and ping: an app asks a named user's phone directly. qrid supplies who
 * the hint names, its limits and checks, and turns each request into an approval request
 * addressed to that user (push and inbox); the decision comes back through `cibaResult`.
 */
export interface CibaRequest {
  id: string;
  clientId: string;
  clientName: string;
  accountId: string;
  ip: string;
  userAgent: string;
  bindingMessage: string;
  expiresAt: number;
  acrValues: string[];
}

export interface CibaDeps {
  users: Pick<Users, 'findByUsername' | 'list'>;
  limiter: Pick<RateLimiter, 'hit'>;
  config: Pick<Config, 'rate_limits'>;
  /** Makes the approval request and tells the user's devices. */
  ask: (request: CibaRequest) => Promise<void>;
}

/** Letters, digits, spaces and common punctuation, up to 40: what a person can compare on two screens. */
const BINDING_MESSAGE = /^[\p{L}\p{N} .,:;!?#+\-_/()']{1,40}$/u;

export function cibaFeature(deps: CibaDeps): NonNullable<NonNullable<Configuration['features']>['ciba']> {
  const limited = async (step: () => Promise<void>, description: string) => {
    try {
      await step();
    } catch (error) {
      if (error instanceof QridError && error.status === 429) throw new errors.InvalidRequest(description);
      throw error;
    }
  };
  return {
    enabled: true,
    deliveryModes: ['poll', 'ping'],
    // Runs first: CIBA Core 7.1 wants an authenticated client (oidc-provider would take a public one).
    async validateRequestContext(ctx) {
      const client = ctx.oidc.client;
      if (!client || client.clientAuthMethod === 'none') throw new errors.InvalidClient('CIBA clients must authenticate');
      await limited(
        () => deps.limiter.hit('ciba', { client: client.clientId }, deps.config.rate_limits.ciba_per_client),
        'too many backchannel authentication requests from this client; try again later',
      );
    },
    async validateBindingMessage(_ctx, bindingMessage) {
      if (bindingMessage !== undefined && !BINDING_MESSAGE.test(bindingMessage)) {
        throw new errors.InvalidBindingMessage('binding_message must be 1 to 40 letters, digits, spaces or . , : ; ! ? # + - _ / ( ) \'');
      }
    },
    // A username, or an email address an administrator set.
    async processLoginHint(_ctx, loginHint) {
      const hint = String(loginHint).trim();
      const user = hint.includes('@') ? (await deps.users.list()).find((u) => !u.disabled && u.email.toLowerCase() === hint.toLowerCase()) : await deps.users.findByUsername(hint);
      return user && !user.disabled ? user.id : undefined;
    },
    async processLoginHintToken() {
      throw new errors.InvalidRequest('login_hint_token is not supported; send login_hint (a username or email) or id_token_hint');
    },
    // The first hook that knows the account: the per-user limit lives here. qrid has no user codes.
    async verifyUserCode(_ctx, account) {
      await limited(
        () => deps.limiter.hit('ciba', { account: account.accountId }, deps.config.rate_limits.ciba_per_account),
        'too many backchannel authentication requests for this user; try again later',
      );
    },
    async triggerAuthenticationDevice(ctx, request, account, client) {
      const params = (request.params ?? {}) as Record<string, unknown>;
      await deps.ask({
        id: request.jti,
        clientId: client.clientId,
        clientName: client.clientName ?? client.clientId,
        accountId: account.accountId,
        ip: clientAddress(ctx),
        userAgent: ctx.get('user-agent'), // cut to its stored length where every request's is
        bindingMessage: typeof params.binding_message === 'string' ? params.binding_message : '',
        // Its lifetime in seconds (`expiration`): the saved copy's exp is not on this instance.
        expiresAt: request.exp ? request.exp * 1000 : Date.now() + request.expiration * 1000,
        acrValues: acrRequest(params).values,
      });
    },
  };
}

/**
 * Hands a decided CIBA approval to oidc-provider (`backchannelResult`): a grant of what the app
 * asked for, with the approval's acr/amr, or access_denied. Nothing once the request expired
 * (saving it then would keep it forever). A ping client's notification failing is logged: the
 * result is saved, and the client can still poll for it.
 */
export async function cibaResult(
  provider: Provider,
  outcome: { id: string; approved: boolean; acr: string; amr: string[]; decidedAt: number },
  /** Runs once the grant exists, before the app can learn of it (qrid records the sign-in here). */
  granted: (grantId: string) => Promise<void> = async () => undefined,
): Promise<{ grantId?: string; pingFailed?: unknown }> {
  const request = await provider.BackchannelAuthenticationRequest.find(outcome.id);
  if (!request || request.isExpired) return {};
  if (!outcome.approved) {
    // oidc-provider keeps the description only when set on the request itself.
    (request as { errorDescription?: string }).errorDescription = 'End-User denied the request';
    try {
      await provider.backchannelResult(request, new errors.AccessDenied('End-User denied the request'));
    } catch (error) {
      return { pingFailed: error };
    }
    return {};
  }
  const grant = new provider.Grant({ accountId: request.accountId, clientId: request.clientId });
  if (request.scope) grant.addOIDCScope(request.scope);
  const claims = (request.claims ?? {}) as { id_token?: Record<string, unknown>; userinfo?: Record<string, unknown> };
  const named = [...Object.keys(claims.id_token ?? {}), ...Object.keys(claims.userinfo ?? {})];
  if (named.length) grant.addOIDCClaims(named);
  const grantId = await grant.save();
  await granted(grantId);
  try {
    await provider.backchannelResult(request, grant, { acr: outcome.acr, amr: outcome.amr, authTime: Math.floor(outcome.decidedAt / 1000) });
  } catch (error) {
    // Saved before the ping was tried: the client gets its tokens by polling.
    return { grantId, pingFailed: error };
  }
  return { grantId };
}

/** The longest a CIBA request lives (seconds). */
export const CIBA_MAX_SECONDS = 600;

/** A CIBA request lives as the app asks (`requested_expiry`), CIBA_MAX_SECONDS at most. */
export function cibaRequestSeconds(_ctx: unknown, request: { params?: Record<string, unknown> }): number {
  const asked = Number(request.params?.requested_expiry);
  return Number.isSafeInteger(asked) && asked > 0 ? Math.min(CIBA_MAX_SECONDS, asked) : CIBA_MAX_SECONDS;
}
