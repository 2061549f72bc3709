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
describe('qrid CLI', () => {
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
