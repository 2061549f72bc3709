import { createServer } from 'node:http';

import { printSetupLink, setupLinkIfEmpty } from './accounts/first-run.js';
import { buildApp } from './app.js';
import { reloadClients } from './config/reload-clients.js';
import { ConfigError } from './config/config-error.js';
import { loadConfig } from './config/load.js';
import { createLogger } from './logging/logger.js';
import { describeMetricsExposure, metricsExposure } from './observability/metrics-exposure.js';
import { createStore } from './store/create-store.js';

/** Entry point: load config, build the app, listen, shut down gracefully. Only this file listens. */
async function main(): Promise<void> {
  let config;
  try {
    config = loadConfig();
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`qrid: ${error.message}\n`);
      process.exit(1);
    }
    throw error;
  }
  const logger = createLogger(config.log_level);
  const store = createStore(config, logger);
  const qrid = await buildApp(config, { store, logger });

  const server = createServer(qrid.app.callback());
  server.keepAliveTimeout = 65_000;
  await new Promise<void>((resolve) => server.listen(config.port, config.host, resolve));
  const exposure = metricsExposure(config);
  const metricsServer = qrid.metricsApp && exposure.where === 'own-listener' ? createServer(qrid.metricsApp.callback()) : undefined;
  if (metricsServer && exposure.where === 'own-listener') {
    await new Promise<void>((resolve) => metricsServer.listen(exposure.port, exposure.host, resolve));
  }
  logger.info({ issuer: config.issuer, port: config.port, store: store.kind, development: config.development }, 'qrid listening');

  const say = (text: string) => process.stdout.write(`${text}\n`);
  say(`qrid is running at ${config.issuer}${config.development ? ` (development setup; demo app at ${config.issuer}/demo)` : ''}`);
  say(describeMetricsExposure(exposure, config.issuer));
  if (store.kind === 'memory') {
    say(
      '\n*** WARNING: in-memory store. Users, devices and sessions are LOST when qrid stops.\n' +
        '*** For real use set QRID_STORE=redis (and REDIS_URL). ***',
    );
  }
  const setupUrl = await setupLinkIfEmpty(qrid.services);
  if (setupUrl) await printSetupLink(setupUrl, say);

  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    // The drain starts at once (app.ts): /readyz says 503, responses close their connections,
    // event streams are told to reconnect elsewhere. The listener stays open for the delay, so
    // the load balancer's health checks take this instance out before it stops accepting
    // (SIGINT is a person at a terminal: no delay).
    qrid.shutdown();
    const delayMs = signal === 'SIGTERM' ? config.shutdown_delay_seconds * 1000 : 0;
    logger.info({ signal, delaySeconds: delayMs / 1000 }, 'shutting down');
    setTimeout(() => {
      metricsServer?.close();
      server.close(() => {
        void store.close().finally(() => process.exit(0));
      });
      // Connections turn idle as their last request ends; close each as soon as it does.
      server.closeIdleConnections();
      setInterval(() => server.closeIdleConnections(), 100).unref();
      // In-flight requests get a grace period; then whatever remains is cut.
      setTimeout(() => {
        server.closeAllConnections();
        process.exit(0);
      }, 10_000).unref();
    }, delayMs);
  };
  process.on('SIGHUP', () => void reloadClients(qrid.services, config, logger));
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}

main().catch((error: unknown) => {
  process.stderr.write(`qrid: failed to start: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
