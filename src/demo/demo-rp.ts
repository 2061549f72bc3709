import type Router from '@koa/router';
import type { Context } from 'koa';
import * as oidc from 'openid-client';

import { DEMO_CLIENT_ID } from '../config/load.js';
import { errorHandler } from '../web/error-handler.js';
import { createRouter } from '../web/router.js';
import { requireSameOrigin } from '../web/same-origin.js';
import type { MessageKey } from '../i18n/catalogues.js';
import { localeOf } from '../i18n/locale.js';
import { QridError } from '../errors/qrid-error.js';
import { randomToken } from '../security/tokens.js';
import type { Services } from '../services.js';
import { demoTvRoutes } from './demo-tv.js';

/**
 * A demo relying party at /demo (development setup only): a real authorization code + PKCE
 * flow with openid-client against qrid itself, over HTTP, like any other app would.
 */
const COOKIE = 'qrid_demo';
const TTL_SECONDS = 3600;

/** Outcomes the demo page can report after a sign-in that did not sign anyone in. */
const OUTCOMES = new Set(['cancelled', 'denied', 'signed_out']);

export function demoRoutes(services: Services): Router {
  const { config, store, views } = services;
  const client = config.clients.find((c) => c.client_id === DEMO_CLIENT_ID);
  const router = createRouter({ prefix: '/demo' });
  router.use(errorHandler(views, services.logger), requireSameOrigin(config.issuer));
  let discovered: Promise<oidc.Configuration> | undefined;

  const oidcConfig = () => {
    discovered ??= oidc
      .discovery(new URL(config.issuer), DEMO_CLIENT_ID, client?.client_secret, undefined, {
        execute: config.issuer.startsWith('http:') ? [oidc.allowInsecureRequests] : [],
      })
      .catch((error: unknown) => {
        discovered = undefined;
        throw new QridError(503, 'demo_discovery_failed', { cause: error });
      });
    return discovered;
  };
  const sessionId = (ctx: Context) => {
    const value = ctx.cookies.get(COOKIE, { signed: true });
    return value && /^[\w-]{22}$/.test(value) ? value : undefined;
  };
  const redirectUri = `${config.issuer}/demo/callback`;

  router.get('/', async (ctx) => {
    const id = sessionId(ctx);
    const session = id ? await store.getRecord(`demo:session:${id}`) : undefined;
    const { t } = localeOf(ctx);
    const outcome = OUTCOMES.has(String(ctx.query.outcome)) ? t(`demo.outcome.${ctx.query.outcome}` as MessageKey, { description: String(ctx.query.error ?? '').replace(/[^\w]/g, '').slice(0, 40) }) : undefined;
    views.render(ctx, 'demo.njk', {
      outcome,
      signedIn: Boolean(session?.claims),
      claims: session?.claims ? JSON.stringify(JSON.parse(session.claims), null, 2) : undefined,
      userinfo: session?.userinfo ? JSON.stringify(JSON.parse(session.userinfo), null, 2) : undefined,
    });
  });

  router.post('/login', async (ctx) => {
    const configuration = await oidcConfig();
    const id = randomToken();
    const verifier = oidc.randomPKCECodeVerifier();
    const state = oidc.randomState();
    const nonce = oidc.randomNonce();
    await store.putRecord(`demo:auth:${id}`, { verifier, state, nonce }, 600);
    ctx.cookies.set(COOKIE, id, { httpOnly: true, sameSite: 'lax', signed: true, secure: config.issuer.startsWith('https:') });
    ctx.status = 303;
    ctx.redirect(
      oidc
        .buildAuthorizationUrl(configuration, {
          redirect_uri: redirectUri,
          scope: 'openid profile email',
          code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
          code_challenge_method: 'S256',
          state,
          nonce,
        })
        .href,
    );
  });

  router.get('/callback', async (ctx) => {
    const id = sessionId(ctx);
    const pending = id ? await store.takeRecord(`demo:auth:${id}`) : undefined;
    if (!id || !pending) throw new QridError(400, 'demo_no_login');
    const configuration = await oidcConfig();
    let tokens: Awaited<ReturnType<typeof oidc.authorizationCodeGrant>>;
    try {
      tokens = await oidc.authorizationCodeGrant(configuration, new URL(`${redirectUri}?${ctx.querystring}`), {
        pkceCodeVerifier: pending.verifier,
        expectedState: pending.state,
        expectedNonce: pending.nonce,
        idTokenExpected: true,
      });
    } catch (error) {
      // An error response from qrid (state checked by openid-client): the person cancelled, or the
      // sign-in was refused. The demo says so in plain words and offers to start again.
      if (error instanceof oidc.AuthorizationResponseError) {
        ctx.status = 303;
        ctx.redirect(error.error === 'access_denied' ? '/demo?outcome=cancelled' : `/demo?outcome=denied&error=${encodeURIComponent(error.error)}`);
        return;
      }
      throw new QridError(400, 'demo_sign_in_failed', { params: { reason: error instanceof Error ? error.message : 'unknown error' } });
    }
    const claims = tokens.claims();
    const userinfo = await oidc.fetchUserInfo(configuration, tokens.access_token, claims?.sub ?? oidc.skipSubjectCheck);
    await store.putRecord(
      `demo:session:${id}`,
      { claims: JSON.stringify(claims), userinfo: JSON.stringify(userinfo), idToken: tokens.id_token ?? '' },
      TTL_SECONDS,
    );
    ctx.status = 303;
    ctx.redirect('/demo');
  });

  router.post('/logout', async (ctx) => {
    const id = sessionId(ctx);
    const session = id ? await store.takeRecord(`demo:session:${id}`) : undefined;
    ctx.cookies.set(COOKIE, null);
    ctx.status = 303;
    if (!session?.idToken) return ctx.redirect('/demo?outcome=signed_out');
    const configuration = await oidcConfig();
    ctx.redirect(
      oidc.buildEndSessionUrl(configuration, { id_token_hint: session.idToken, post_logout_redirect_uri: `${config.issuer}/demo` }).href,
    );
  });

  demoTvRoutes(services, router);
  return router;
}
