import { join } from 'node:path';

import Koa from 'koa';

import type { Config } from './config/schema.js';
import { adminRoutes } from './admin/admin-routes.js';
import { companionRoutes } from './companion/companion-routes.js';
import { demoRoutes } from './demo/demo-rp.js';
import { compose, type ComposeDeps } from './compose.js';
import { errorHandler, respondWithError } from './web/error-handler.js';
import { notFound } from './errors/qrid-error.js';
import { Csrf } from './web/csrf.js';
import { requestLog } from './web/request-log.js';
import { createRouter } from './web/router.js';
import { requireSameOrigin } from './web/same-origin.js';
import { Drain } from './web/drain.js';
import { securityHeaders } from './web/security-headers.js';
import { staticFiles } from './web/static-files.js';
import { chooseLanguageRoute } from './web/language-route.js';
import { interactionRoutes } from './interactions/interaction-routes.js';
import { StreamLimits } from './interactions/stream-limits.js';
import { StreamRegistry } from './interactions/stream-registry.js';
import { metricsEndpoint } from './observability/metrics-endpoint.js';
import { metricsExposure } from './observability/metrics-exposure.js';
import { storeGuard } from './web/store-guard.js';
import { tokenRateLimit } from './provider/token-rate-limit.js';
import { jsqrBundle, staticDir, webauthnBrowserBundle } from './paths.js';
import { phoneRoutes } from './phone/phone-routes.js';
import { tokenPolling } from './provider/token-polling.js';
import { deviceVerificationGuard } from './provider/device-verification-guard.js';
import { offlineAccessNotice } from './provider/offline-access-notice.js';
import { userCodeLimits } from './provider/user-code-limits.js';
import { recordSessions } from './provider/session-hook.js';
import type { Services } from './services.js';

export type AppDeps = ComposeDeps;

export interface QridApp {
  app: Koa;
  /** Serves /metrics alone, for main.ts to listen on `metrics.listen`; absent when metrics are elsewhere or off. */
  metricsApp?: Koa;
  services: Services;
  /**
   * Starts the drain: open event streams end asking pages to reconnect elsewhere, and so do
   * streams opened from now on; responses close their connections; /readyz says 503. Does not
   * close the store nor the listener.
   */
  shutdown(): void;
}

/**
 * Builds qrid: the Koa app with qrid's routes in front and oidc-provider mounted behind them.
 * Both share the cookie keys and `proxy` setting (the provider reads cookies through the
 * parent's context when mounted). There is no global body parser: the provider parses its
 * own bodies, qrid's routes read their small forms themselves.
 */
export async function buildApp(config: Config, deps: AppDeps): Promise<QridApp> {
  const core = await compose(config, deps);
  const { logger, metrics, store, views, cookieKeys, liveProvider } = core;
  // Added to the core object itself (not a copy): its `provider` getter must stay live.
  const services: Services = Object.assign(core, {
    csrf: new Csrf(config.cookie_keys),
    streams: new StreamRegistry((size) => metrics.openStreams.set(size)),
    streamLimits: new StreamLimits({ perInteraction: config.rate_limits.open_streams_per_interaction, perAddress: config.rate_limits.open_streams_per_ip }),
  });
  liveProvider.extend((provider) => {
    provider.use(tokenRateLimit(services));
    provider.use(recordSessions(services));
    provider.use(deviceVerificationGuard(services));
    provider.use(tokenPolling(store, config));
    provider.use(userCodeLimits(services));
  });

  // With a proxy, ctx.ip is the X-Forwarded-For entry the outermost trusted proxy added (client-address.ts).
  const app = new Koa({ proxy: config.proxy, maxIpsCount: config.proxy_hops });
  // The same signing keys as the provider's: mounted, it reads its cookies through this app.
  app.keys = cookieKeys;
  app.silent = true;
  app.on('error', (error: unknown) => logger.warn({ err: error }, 'unhandled request error'));

  const drain = new Drain();
  app.use(requestLog(logger, metrics));
  app.use(drain.middleware());
  app.use(securityHeaders({ https: config.issuer.startsWith('https:') }));
  app.use(
    staticFiles(staticDir, {
      '/static/vendor/webauthn.js': webauthnBrowserBundle,
      '/static/vendor/jsqr.js': jsqrBundle,
      // At the root, so the phone app's service worker may control every qrid page.
      '/sw.js': join(staticDir, 'sw.js'),
    }),
  );
  const exposure = metricsExposure(config);
  if (exposure.where === 'main-port') app.use(metricsEndpoint(metrics, exposure.token));
  app.use(storeGuard(store, views));

  const router = createRouter();
  // router.use middleware runs only when one of these routes matched, so neither the error
  // page nor the same-origin rule ever touches oidc-provider's endpoints (e.g. CORS token calls).
  router.use(errorHandler(views, logger), requireSameOrigin(config.issuer));
  router.get('/healthz', (ctx) => {
    ctx.body = { status: 'ok' };
  });
  router.get('/readyz', async (ctx) => {
    if (drain.active) {
      ctx.status = 503;
      ctx.body = { status: 'draining', store: store.kind };
      return;
    }
    try {
      await store.ping();
      ctx.body = { status: 'ready', store: store.kind };
    } catch {
      ctx.status = 503;
      ctx.body = { status: 'unavailable', store: store.kind };
    }
  });
  router.get('/language/:lang', chooseLanguageRoute(config.issuer.startsWith('https:')));
  router.get('/', (ctx) => {
    ctx.redirect(config.development ? '/demo' : '/phone');
  });
  interactionRoutes(services, router);
  phoneRoutes(services, router);
  companionRoutes(services, router);
  adminRoutes(services, router);
  app.use(router.routes());
  if (config.development) app.use(demoRoutes(services).routes());

  app.use(offlineAccessNotice(logger, new URL(services.provider.urlFor('authorization')).pathname));
  app.use(liveProvider.middleware());
  app.use(async (ctx) => {
    if (ctx.status === 404 && ctx.body === undefined) respondWithError(ctx, views, notFound());
  });

  let metricsApp: Koa | undefined;
  if (exposure.where === 'own-listener') {
    metricsApp = new Koa();
    metricsApp.silent = true;
    metricsApp.use(metricsEndpoint(metrics, exposure.token));
  }

  // `qrid keys rotate|retire` in another process: every instance publishes the new set at once.
  await liveProvider.watchKeys(store);

  return {
    app,
    ...(metricsApp ? { metricsApp } : {}),
    services,
    shutdown: () => {
      drain.start();
      services.streams.closeAll();
      void liveProvider.stop();
    },
  };
}
