import Koa from 'koa';
import mount from 'koa-mount';

import { Consents } from './accounts/consents.js';
import { Devices } from './accounts/devices.js';
import { Enrollments } from './accounts/enrollments.js';
import { PasskeySetup } from './accounts/passkey-setup.js';
import { Passkeys } from './accounts/passkeys.js';
import { SessionRecords } from './accounts/session-records.js';
import { Users } from './accounts/users.js';
import { ApprovalEngine } from './approvals/approval-engine.js';
import { ApprovalDecisions } from './approvals/decide-approval.js';
import type { Config } from './config/schema.js';
import { adminRoutes } from './admin/admin-routes.js';
import { companionRoutes } from './companion/companion-routes.js';
import { demoRoutes } from './demo/demo-rp.js';
import { errorHandler, respondWithError } from './errors/error-handler.js';
import { notFound } from './errors/qrid-error.js';
import { cookieKeys as makeCookieKeys } from './http/cookie-keys.js';
import { Csrf } from './http/csrf.js';
import { approximateNetwork } from './http/describe-client.js';
import { requestLog } from './http/request-log.js';
import { createRouter } from './http/router.js';
import { requireSameOrigin } from './http/same-origin.js';
import { securityHeaders } from './http/security-headers.js';
import { staticFiles } from './http/static-files.js';
import { chooseLanguageRoute } from './i18n/language-route.js';
import { interactionRoutes } from './interactions/interaction-routes.js';
import { StreamLimits } from './interactions/stream-limits.js';
import { StreamRegistry } from './interactions/stream-registry.js';
import type { Logger } from './logging/logger.js';
import { instrumentStore } from './observability/instrument-store.js';
import { Metrics } from './observability/metrics.js';
import { metricsEndpoint } from './observability/metrics-endpoint.js';
import { metricsExposure } from './observability/metrics-exposure.js';
import { storeGuard } from './http/store-guard.js';
import { tokenRateLimit } from './rate-limit/token-rate-limit.js';
import { staticDir, webauthnBrowserBundle } from './paths.js';
import { phoneRoutes } from './phone/phone-routes.js';
import { createProvider } from './provider/create-provider.js';
import { recordSessions } from './provider/session-hook.js';
import { loadSigningKeys } from './provider/signing-keys.js';
import { RateLimiter } from './rate-limit/rate-limiter.js';
import type { Services } from './services.js';
import type { Store } from './store/store.js';
import { createViews, type Views } from './views/views.js';

export interface AppDeps {
  store: Store;
  logger: Logger;
  views?: Views;
  metrics?: Metrics;
}

export interface QridApp {
  app: Koa;
  /** Serves /metrics alone, for main.ts to listen on `metrics.listen`; absent when metrics are elsewhere or off. */
  metricsApp?: Koa;
  services: Services;
  /** Ends open event streams (asking pages to reconnect elsewhere). Does not close the store. */
  shutdown(): void;
}

/**
 * Builds qrid: the Koa app with qrid's routes in front and oidc-provider mounted behind them.
 * Both share the cookie keys and `proxy` setting (the provider reads cookies through the
 * parent's context when mounted). There is no global body parser: the provider parses its
 * own bodies, qrid's routes read their small forms themselves.
 */
export async function buildApp(config: Config, deps: AppDeps): Promise<QridApp> {
  const { logger } = deps;
  const metrics = deps.metrics ?? new Metrics();
  const store = instrumentStore(deps.store, () => metrics.storeErrors.inc());
  const views = deps.views ?? createViews();
  const jwks = await loadSigningKeys(store, config.cookie_keys);
  const users = new Users(store);
  const cookieKeys = makeCookieKeys(config.cookie_keys);
  const consents = new Consents(store);
  const provider = createProvider({ config, store, users, consents, views, jwks, cookieKeys });
  const approvals = new ApprovalEngine(
    store,
    { handleSeconds: config.qr.handle_seconds, decisionSeconds: config.qr.decision_seconds, typedCodeSeconds: config.qr.typed_code_seconds },
    logger,
    Date.now,
    config.phishing.network_rule === 'subnet' ? (a, b) => approximateNetwork(a) !== approximateNetwork(b) : () => false,
  );
  const passkeys = new Passkeys(store, config.issuer, config.passkeys.rp_name);
  const limiter = new RateLimiter(store, config.rate_limits.window_seconds, (bucket) => metrics.rateLimited.inc({ bucket }));
  const services: Services = {
    config,
    store,
    provider,
    users,
    views,
    logger,
    approvals,
    decisions: new ApprovalDecisions({
      approvals,
      passkeys,
      limiter,
      policy: config.passkeys.policy,
      approvalsPerAddress: config.rate_limits.approval_per_ip,
      qrFailuresPerAddress: config.rate_limits.qr_failures_per_ip,
    }),
    devices: new Devices(store, config.enrollment.device_session_days),
    enrollments: new Enrollments(store, config.enrollment.link_seconds),
    csrf: new Csrf(config.cookie_keys),
    limiter,
    streams: new StreamRegistry((size) => metrics.openStreams.set(size)),
    streamLimits: new StreamLimits({ perInteraction: config.rate_limits.open_streams_per_interaction, perAddress: config.rate_limits.open_streams_per_ip }),
    metrics,
    sessions: new SessionRecords(store, config.ttl.session),
    passkeys,
    passkeySetup: new PasskeySetup(store),
    consents,
  };
  services.approvals.onEvent = (event, approval) => {
    const outcome = event.slice('approval.'.length);
    metrics.logins.inc({ outcome });
    if (outcome === 'completed' && approval.decidedAt) metrics.approvalToCompletion.observe((Date.now() - approval.decidedAt) / 1000);
  };
  provider.use(tokenRateLimit(services));
  provider.use(recordSessions(services));

  // With a proxy, ctx.ip is the X-Forwarded-For entry the outermost trusted proxy added (client-address.ts).
  const app = new Koa({ proxy: config.proxy, maxIpsCount: config.proxy_hops });
  // The same signing keys as the provider's: mounted, it reads its cookies through this app.
  app.keys = cookieKeys;
  app.silent = true;
  app.on('error', (error: unknown) => logger.warn({ err: error }, 'unhandled request error'));

  app.use(requestLog(logger, metrics));
  app.use(securityHeaders({ https: config.issuer.startsWith('https:') }));
  app.use(staticFiles(staticDir, { '/static/vendor/webauthn.js': webauthnBrowserBundle }));
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

  app.use(mount(provider));
  app.use(async (ctx) => {
    if (ctx.status === 404 && ctx.body === undefined) respondWithError(ctx, views, notFound());
  });

  let metricsApp: Koa | undefined;
  if (exposure.where === 'own-listener') {
    metricsApp = new Koa();
    metricsApp.silent = true;
    metricsApp.use(metricsEndpoint(metrics, exposure.token));
  }

  return {
    app,
    ...(metricsApp ? { metricsApp } : {}),
    services,
    shutdown: () => services.streams.closeAll(),
  };
}
