import type Router from '@koa/router';
import type { Context } from 'koa';
import * as oidc from 'openid-client';

import { DEMO_CLIENT_ID } from '../config/load.js';
import { errorHandler } from '../errors/error-handler.js';
import { createRouter } from '../http/router.js';
import { requireSameOrigin } from '../http/same-origin.js';
import { QridError } from '../errors/qrid-error.js';
import { randomToken } from '../security/tokens.js';
import type { Services } from '../services.js';

/**
 * A demo relying party at /demo (development setup only): a real authorization code + PKCE
 * flow with openid-client against qrid itself, over HTTP, like any other app would.
 */
const COOKIE = 'qrid_demo';
const TTL_SECONDS = 3600;

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
        throw new QridError(503, 'demo_discovery_failed', 'The demo app could not reach qrid.', { cause: error });
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
    ctx.type = 'html';
    ctx.body = views.render('demo.njk', {
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
    if (!id || !pending) throw new QridError(400, 'demo_no_login', 'No sign-in was started in this browser. Start again at /demo.');
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
      const message = error instanceof Error ? error.message : 'unknown error';
      throw new QridError(400, 'demo_sign_in_failed', `The demo app could not sign you in: ${message}`);
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
    if (!session?.idToken) return ctx.redirect('/demo');
    const configuration = await oidcConfig();
    ctx.redirect(
      oidc.buildEndSessionUrl(configuration, { id_token_hint: session.idToken, post_logout_redirect_uri: `${config.issuer}/demo` }).href,
    );
  });

  return router;
}
