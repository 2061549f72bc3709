import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

import { buildApp, type QridApp } from '../../src/app.js';
import { loadConfig } from '../../src/config/load.js';
import type { Config } from '../../src/config/schema.js';
import { createLogger, type Logger } from '../../src/logging/logger.js';
import { MemoryStore } from '../../src/store/memory-store.js';
import type { Store } from '../../src/store/store.js';

export const RP_REDIRECT = 'http://rp.test/callback';
export const RP_LOGOUT_REDIRECT = 'http://rp.test/signed-out';
export const CONFIDENTIAL = { id: 'test-rp', secret: 'test-rp-secret-that-is-long-enough-0123456789' };
export const FIRST_PARTY = { id: 'first-party-spa' };

/** The confidential test relying party as the config file registers it. */
export const TEST_RP_CLIENT = {
  client_id: CONFIDENTIAL.id,
  client_secret: CONFIDENTIAL.secret,
  client_name: 'Test RP',
  redirect_uris: [RP_REDIRECT],
  post_logout_redirect_uris: [RP_LOGOUT_REDIRECT],
};

export interface RunningQrid {
  issuer: string;
  port: number;
  config: Config;
  qrid: QridApp;
  store: Store;
  server: Server;
  close(): Promise<void>;
}

/** A real qrid on a real port (loopback), with two test relying parties registered. */
export async function startQrid(
  overrides: Record<string, unknown> = {},
  options: { store?: Store; port?: number; closeStore?: boolean; logger?: Logger } = {},
): Promise<RunningQrid> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(options.port ?? 0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const issuer = `http://localhost:${port}`;
  const config = loadConfig({
    env: {},
    raw: {
      issuer,
      port,
      development: false,
      cookie_keys: ['test-cookie-key-0123456789abcdef-0123456789'],
      log_level: 'silent',
      clients: [
        TEST_RP_CLIENT,
        {
          client_id: FIRST_PARTY.id,
          client_name: 'First-party SPA',
          redirect_uris: [RP_REDIRECT],
          post_logout_redirect_uris: [RP_LOGOUT_REDIRECT],
          first_party: true,
        },
      ],
      ...overrides,
    },
  });
  const store = options.store ?? new MemoryStore();
  const qrid = await buildApp(config, { store, logger: options.logger ?? createLogger('silent') });
  server.on('request', qrid.app.callback());
  return {
    issuer,
    port,
    config,
    qrid,
    store,
    server,
    async close() {
      qrid.shutdown();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      if (options.closeStore !== false) await store.close();
    },
  };
}
