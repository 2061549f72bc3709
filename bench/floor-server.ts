import { createServer } from 'node:http';

import Koa from 'koa';
import mount from 'koa-mount';

import { Consents } from '../src/accounts/consents.js';
import { Users } from '../src/accounts/users.js';
import { loadConfig } from '../src/config/load.js';
import { cookieKeys as makeCookieKeys } from '../src/web/cookie-keys.js';
import { createProvider } from '../src/provider/create-provider.js';
import { SigningKeys } from '../src/keys/signing-keys.js';
import { createLogger } from '../src/logging/logger.js';
import { createStore } from '../src/store/create-store.js';
import { createViews } from '../src/web/views.js';

/**
 * The benchmark's floor: the same oidc-provider configuration qrid uses (clients, PKCE, keys,
 * and the configured store behind the adapter: memory or Redis), with an interaction that signs
 * in at once: no page at all.
 */
const config = loadConfig();
const store = createStore(config, createLogger(config.log_level));
const users = new Users(store);
const user = await users.create({ username: 'bench' });
const cookieKeys = makeCookieKeys(config.cookie_keys);
const provider = createProvider({ config, store, users, consents: new Consents(store), views: createViews(), jwks: (await new SigningKeys(store, config.cookie_keys).forProvider()).jwks, cookieKeys });
const app = new Koa({ proxy: config.proxy });
app.keys = cookieKeys;
app.use(async (ctx, next) => {
  if (ctx.method === 'GET' && /^\/interaction\/[^/]+$/.test(ctx.path)) {
    ctx.respond = false;
    await provider.interactionFinished(ctx.req, ctx.res, { login: { accountId: user.id, amr: ['mca'], acr: 'urn:qrid:acr:device' } }, { mergeWithLastSubmission: false });
    return;
  }
  await next();
});
app.use(mount(provider));
const server = createServer(app.callback()).listen(config.port, '127.0.0.1');
// A clean exit on SIGTERM, so `--cpu-prof` can write its profile.
process.on('SIGTERM', () => server.close(() => void store.close().finally(() => process.exit(0))));
