import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { projectRoot } from '../../src/paths.js';
import { createRedisStore } from '../../src/store/redis-store.js';
import { BrowserClient, field } from '../support/browser-client.js';
import { PHONE_UA } from '../support/phone.js';
import { deletePrefix, REDIS_URL, requireRedis, testPrefix } from '../support/redis.js';
import { type RunningQrid, startQrid } from '../support/start-qrid.js';

const run = promisify(execFile);
const COOKIE_KEY = 'test-cookie-key-0123456789abcdef-0123456789';

/** `npx qrid users add` / `invite` against the shared Redis store a running qrid uses. */
// Each step starts the CLI (a Node.js process): on a busy machine, seconds each.
describe('qrid CLI', { timeout: 180_000 }, () => {
  let raw: Redis;
  let qrid: RunningQrid;
  const prefix = testPrefix('cli');
  const dir = mkdtempSync(join(tmpdir(), 'qrid-cli-'));
  const configFile = join(dir, 'qrid.yaml');

  const cli = async (args: string[], env: Record<string, string> = {}) => {
    try {
      const { stdout, stderr } = await run(process.execPath, [join(projectRoot, 'bin/qrid.js'), ...args], {
        env: { PATH: process.env.PATH ?? '', QRID_CONFIG: configFile, ...env },
      });
      return { code: 0, stdout, stderr };
    } catch (error) {
      const e = error as { code: number; stdout: string; stderr: string };
      return { code: e.code, stdout: e.stdout, stderr: e.stderr };
    }
  };

  beforeAll(async () => {
    raw = await requireRedis();
    const store = createRedisStore({ url: REDIS_URL, keyPrefix: prefix });
    qrid = await startQrid({ store: { kind: 'redis', redis_url: REDIS_URL, key_prefix: prefix } }, { store });
    writeFileSync(
      configFile,
      `issuer: ${qrid.issuer}\ncookie_keys: ["${COOKIE_KEY}"]\nstore:\n  kind: redis\n  redis_url: ${REDIS_URL}\n  key_prefix: "${prefix}"\n`,
    );
  });
  afterAll(async () => {
    await qrid?.close();
    await deletePrefix(raw, prefix);
    await raw.quit();
  });

  it('adds a user whose enrollment link signs a phone in on the running server', async () => {
    const added = await cli(['users', 'add', 'carol', '--name', 'Carol C', '--email', 'carol@example.com', '--json']);
    expect(added.stderr).toBe('');
    expect(added.code).toBe(0);
    const out = JSON.parse(added.stdout) as { id: string; username: string; enrollUrl: string };
    expect(out.username).toBe('carol');
    expect(out.enrollUrl).toMatch(new RegExp(`^${qrid.issuer}/enroll/[\\w-]{22}$`));
    expect(await qrid.qrid.services.users.find(out.id)).toMatchObject({ username: 'carol', name: 'Carol C', email: 'carol@example.com' });

    const phone = new BrowserClient(qrid.issuer, PHONE_UA);
    const page = await phone.get(new URL(out.enrollUrl).pathname);
    expect(page.text).toContain('Sign in this device as carol');
    const done = await phone.postForm(new URL(out.enrollUrl).pathname, { csrf: field(page.text, 'csrf'), device_name: 'Carol phone' });
    expect(done.status).toBe(303);
    expect((await phone.get('/phone')).text).toContain('Signed in as Carol C');
    // The link was single use.
    expect((await new BrowserClient(qrid.issuer).get(new URL(out.enrollUrl).pathname)).status).toBe(409);
  });

  it('prints a fresh invite for an existing user, and a clear error for a missing one', async () => {
    const first = JSON.parse((await cli(['invite', 'carol', '--json'])).stdout) as { enrollUrl: string };
    const second = JSON.parse((await cli(['invite', 'carol', '--json'])).stdout) as { enrollUrl: string };
    expect(first.enrollUrl).not.toBe(second.enrollUrl);
    const human = await cli(['invite', 'carol']);
    expect(human.stdout).toContain('One-time enrollment link');
    const missing = await cli(['invite', 'nobody']);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('No user named "nobody"');
    const taken = await cli(['users', 'add', 'carol']);
    expect(taken.code).toBe(1);
    expect(taken.stderr).toContain('already taken');
    const bad = await cli(['users', 'add', 'Not Valid!']);
    expect(bad.stderr).toContain('A username is');
  });

  it('disables, enables and removes users on the shared store', async () => {
    const added = JSON.parse((await cli(['users', 'add', 'temp', '--json'])).stdout) as { id: string; enrollUrl: string };
    const phone = new BrowserClient(qrid.issuer, PHONE_UA);
    const path = new URL(added.enrollUrl).pathname;
    await phone.postForm(path, { csrf: field((await phone.get(path)).text, 'csrf'), device_name: 'p' });
    expect((await phone.get('/phone')).text).toContain('Signed in as temp');

    const disabled = await cli(['users', 'disable', 'temp']);
    expect(disabled.stdout).toContain('Disabled temp');
    expect((await phone.get('/phone')).text).toContain('not signed in');
    expect((await cli(['users', 'list'])).stdout).toMatch(/temp\t.*disabled/);
    expect((await cli(['invite', 'temp'])).stderr).toContain('disabled');

    expect((await cli(['users', 'enable', 'temp'])).stdout).toContain('Enabled temp');
    expect((await cli(['invite', 'temp', '--json'])).code).toBe(0);
    expect((await cli(['users', 'remove', 'temp'])).stdout).toContain('Removed temp');
    expect(await qrid.qrid.services.users.find(added.id)).toBeUndefined();
    expect((await cli(['users', 'remove', 'temp'])).stderr).toContain('No user named');
  });

  it('sets groups, name and email, which apps then receive', async () => {
    const added = JSON.parse((await cli(['users', 'add', 'gina', '--group', 'staff', '--group', 'ops', '--json'])).stdout) as { id: string };
    expect((await qrid.qrid.services.users.find(added.id))?.groups).toEqual(['ops', 'staff']);
    const changed = await cli(['users', 'groups', 'gina', '--add', 'grafana-admins', '--remove', 'ops', '--json']);
    expect(JSON.parse(changed.stdout)).toEqual(['grafana-admins', 'staff']);
    expect((await cli(['users', 'set', 'gina', '--name', 'Gina G', '--email', 'gina@example.com'])).stdout).toContain('gina: name "Gina G", email gina@example.com');
    // The running server sees the change (its cache is told through the store).
    await expect.poll(async () => (await qrid.qrid.services.users.find(added.id))?.email).toBe('gina@example.com');
    expect((await cli(['users', 'list'])).stdout).toMatch(/gina\tGina G\tgina@example.com\tgrafana-admins,staff/);

    const bad = await cli(['users', 'groups', 'gina', '--add', 'has space']);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('"has space" is not a group name');
    expect((await cli(['users', 'set', 'gina', '--email', 'nope'])).stderr).toContain('"nope" is not an email address');
    expect((await qrid.qrid.services.users.find(added.id))?.groups).toEqual(['grafana-admins', 'staff']);
  });

  it('lists, rotates and retires signing keys; the running server publishes the change at once', async () => {
    const before = JSON.parse((await cli(['keys', 'list', '--json'])).stdout) as { kid: string; alg: string; state: string }[];
    expect(before.map((k) => [k.alg, k.state]).sort()).toEqual([
      ['ES256', 'signing'],
      ['RS256', 'signing'],
    ]);
    const rotated = await cli(['keys', 'rotate', '--alg', 'ES256', '--delay-hours', '12']);
    expect(rotated.code).toBe(0);
    const kid = /Added (\S+)\tES256\tpending/.exec(rotated.stdout)?.[1] as string;
    const published = async () => ((await (await fetch(`${qrid.issuer}/jwks`)).json()) as { keys: { kid: string }[] }).keys.map((k) => k.kid);
    await expect.poll(published, { timeout: 20_000 }).toContain(kid);
    const old = before.find((k) => k.alg === 'ES256')?.kid as string;
    expect((await cli(['keys', 'retire', old])).stderr).toContain('is the key that signs ES256 tokens');
    expect((await cli(['keys', 'rotate', '--alg', 'XS256'])).stderr).toContain('--alg must be one of RS256, ES256');
    expect((await cli(['keys', 'retire', kid])).stdout).toContain(`Retired ES256 key ${kid}`);
    await expect.poll(published, { timeout: 20_000 }).not.toContain(kid);
  });

  it('checks every client field, as the server and oidc-provider would take it', async () => {
    const file = join(dir, 'clients.yaml');
    const write = (clients: string) => writeFileSync(file, `issuer: https://id.example.com\ncookie_keys: ["${COOKIE_KEY}"]\nclients:\n${clients}`);
    write('  - { client_id: app, client_name: App, redirect_uris: ["https://app.example.com/cb"], token_endpoint_auth_method: private_key_jwt, jwks_uri: "https://app.example.com/jwks", pkce: required, id_token_signed_response_alg: ES256 }\n');
    const ok = await cli(['clients', 'check'], { QRID_CONFIG: file });
    expect(ok.code, ok.stderr).toBe(0);
    expect(ok.stdout).toMatch(/app\tApp\tconfidential \(private_key_jwt\), ID tokens ES256/);
    write('  - { client_id: app, client_name: App, redirect_uris: ["https://app.example.com/cb"], token_endpoint_auth_method: private_key_jwt, pkce: optional }\n');
    expect((await cli(['clients', 'check'], { QRID_CONFIG: file })).stderr).toContain('clients[0].jwks: private_key_jwt needs');
    // Passes qrid's schema, refused by oidc-provider: named all the same.
    write('  - { client_id: app, client_name: App, redirect_uris: ["https://app.example.com/cb#x"] }\n');
    const refused = await cli(['clients', 'check'], { QRID_CONFIG: file });
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('clients[0] (app): redirect_uris must not contain fragments');
  });

  it('says clearly why it cannot work with the in-memory store', async () => {
    const memory = await cli(['users', 'add', 'dave'], { QRID_CONFIG: '', QRID_STORE: 'memory', QRID_DATA_DIR: dir });
    expect(memory.code).toBe(2);
    expect(memory.stderr).toContain('needs the shared store');
    expect(memory.stderr).toContain('QRID_STORE=redis');
  });

  it('reports bad configuration naming the field', async () => {
    const badFile = join(dir, 'bad.yaml');
    writeFileSync(badFile, 'clients:\n  - client_id: x\n    redirect_uris: [nope]\n');
    const result = await cli(['clients', 'check'], { QRID_CONFIG: badFile });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('clients[0].redirect_uris[0]');
    expect(result.stderr).toContain('clients[0].client_name');
  });
});
