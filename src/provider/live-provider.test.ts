import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

import type { JSONWebKeySet } from 'jose';
import { afterEach, describe, expect, it } from 'vitest';

import { Consents } from '../accounts/consents.js';
import { Users } from '../accounts/users.js';
import { loadConfig } from '../config/load.js';
import type { ClientConfig } from '../config/schema.js';
import { SigningKeys } from '../keys/signing-keys.js';
import { createLogger } from '../logging/logger.js';
import { MemoryStore } from '../store/memory-store.js';
import { createViews } from '../web/views.js';
import { createProvider } from './create-provider.js';
import { LiveProvider } from './live-provider.js';

const config = loadConfig({ env: {}, raw: { issuer: 'http://localhost:1', development: false, cookie_keys: ['k'.repeat(32)], log_level: 'silent' } });
const store = new MemoryStore();
const keys = new SigningKeys(store, config.cookie_keys);
const build = (clients: readonly ClientConfig[], jwks: Parameters<typeof createProvider>[0]['jwks']) =>
  createProvider({ config, clients, store, users: new Users(store), consents: new Consents(store), views: createViews(), jwks });

let live: LiveProvider | undefined;
afterEach(async () => {
  await live?.stop();
});

/** The JWKS the instance in use publishes, through its own HTTP endpoint. */
async function publishedKids(provider: LiveProvider): Promise<string[]> {
  const server = createServer(provider.current.callback());
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  try {
    const { port } = server.address() as AddressInfo;
    const body = (await (await fetch(`http://127.0.0.1:${port}/jwks`)).json()) as JSONWebKeySet;
    return body.keys.map((k) => k.kid as string);
  } finally {
    server.close();
  }
}

describe('LiveProvider', () => {
  it('switches to a new instance when a pending key reaches its time, without being told', async () => {
    live = await LiveProvider.start(build, keys, createLogger('silent'), config.clients);
    const [pending] = await keys.rotate(['ES256'], 1);
    await live.reload();
    const first = live.current;
    expect(await publishedKids(live)).toContain(pending?.kid);
    // The timer set for the key's activation builds the next instance by itself.
    await expect.poll(() => live?.current !== first, { timeout: 20_000, interval: 100 }).toBe(true);
    expect((await keys.list()).find((k) => k.kid === pending?.kid)?.state).toBe('signing');
  });

  it('keeps the instance in use when a reloaded client is one oidc-provider refuses, naming it', async () => {
    live = await LiveProvider.start(build, keys, createLogger('silent'), config.clients);
    const before = live.current;
    const [admin] = config.clients;
    const bad = { ...admin, client_id: 'broken', redirect_uris: ['https://app.example/cb#fragment'] } as ClientConfig;
    await expect(live.reload([...config.clients, bad])).rejects.toThrow(/clients\[\d\] \(broken\): redirect_uris must not contain fragments/);
    expect(live.current).toBe(before);
    expect(await live.current.Client.find('broken')).toBeUndefined();
  });

  it('applies extensions to every instance it builds', async () => {
    live = await LiveProvider.start(build, keys, createLogger('silent'), config.clients);
    const seen: unknown[] = [];
    live.extend((provider) => seen.push(provider));
    await live.reload();
    expect(seen).toHaveLength(2);
    expect(seen[1]).toBe(live.current);
  });
});
