import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

import { decodeProtectedHeader } from 'jose';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { projectRoot } from '../../src/paths.js';
import { createRedisStore } from '../../src/store/redis-store.js';
import { BrowserClient } from '../support/browser-client.js';
import { enrolledPhone } from '../support/phone.js';
import { deletePrefix, REDIS_URL, requireRedis, testPrefix } from '../support/redis.js';
import { RelyingParty } from '../support/relying-party.js';
import { signIn } from '../support/sign-in.js';
import { type RunningQrid, startQrid } from '../support/start-qrid.js';

const run = promisify(execFile);
const COOKIE_KEY = 'test-cookie-key-0123456789abcdef-0123456789';

/**
 * `qrid export` and `qrid import`: a backup taken from one store restores into an empty one,
 * where the enrolled phone is still signed in, approves sign-ins, and tokens are signed with
 * the same keys; a store that is not empty, or a damaged file, is refused and nothing changes.
 */
// Each step starts the CLI (a Node.js process): on a busy machine, seconds each.
describe('backups: qrid export and import', { timeout: 180_000 }, () => {
  let raw: Redis;
  let source: RunningQrid;
  const dir = mkdtempSync(join(tmpdir(), 'qrid-backup-'));
  const prefixes = { source: testPrefix('backup-a'), target: testPrefix('backup-b'), damaged: testPrefix('backup-c') };

  const configFor = (prefix: string) => {
    const file = join(dir, `${prefix.replace(/\W/g, '')}.yaml`);
    writeFileSync(file, `issuer: http://localhost:1\ncookie_keys: ["${COOKIE_KEY}"]\nstore:\n  kind: redis\n  redis_url: ${REDIS_URL}\n  key_prefix: "${prefix}"\n`);
    return file;
  };
  const cli = async (args: string[], prefix: string) => {
    try {
      const { stdout, stderr } = await run(process.execPath, [join(projectRoot, 'bin/qrid.js'), ...args], { env: { PATH: process.env.PATH ?? '', QRID_CONFIG: configFor(prefix) } });
      return { code: 0, stdout, stderr };
    } catch (error) {
      const e = error as { code: number; stdout: string; stderr: string };
      return { code: e.code, stdout: e.stdout, stderr: e.stderr };
    }
  };
  const qridOn = (prefix: string, extra: Record<string, unknown> = {}) =>
    startQrid({ store: { kind: 'redis', redis_url: REDIS_URL, key_prefix: prefix }, ...extra }, { store: createRedisStore({ url: REDIS_URL, keyPrefix: prefix }) });

  beforeAll(async () => {
    raw = await requireRedis();
    source = await qridOn(prefixes.source);
  });
  afterAll(async () => {
    await source?.close();
    for (const prefix of Object.values(prefixes)) await deletePrefix(raw, prefix);
    await raw.quit();
  });

  it('restores users, groups, devices, passkeys, consents and keys into an empty store, where the phone still works', async () => {
    const { phone, userId } = await enrolledPhone(source);
    const { users, devices, passkeys } = source.qrid.services;
    await users.update((await users.find(userId))!, { groups: ['staff', 'ops'] });
    const rp = await RelyingParty.discover(source.issuer);
    const before = await rp.redeem(await signIn(new BrowserClient(source.issuer), phone, rp)); // remembers the consent
    const [device] = await devices.listForUser(userId);
    // A passkey record as a registration stores it (made here without an authenticator).
    await passkeys.importRecord({ id: 'cred-1', deviceId: device!.id, userId, publicKey: 'pQECAyYgASFYIA', counter: '3', transports: 'internal', createdAt: '1' });

    const file = join(dir, 'backup.jsonl');
    const exported = await cli(['export', '--file', file], prefixes.source);
    expect(exported.code, exported.stderr).toBe(0);
    expect(exported.stdout).toContain('Not in it: browser sessions, tokens and grants');
    const lines = readFileSync(file, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { type?: string; format?: string; version?: number });
    expect(lines[0]).toMatchObject({ format: 'qrid-backup', version: 1 });
    expect(lines.map((l) => l.type).filter(Boolean)).toEqual(expect.arrayContaining(['signing-key', 'user', 'device', 'passkey', 'consent', 'end']));
    expect(readFileSync(file, 'utf8')).not.toMatch(/"d":"/); // no private key in the clear

    const imported = await cli(['import', file], prefixes.target);
    expect(imported.code, imported.stderr).toBe(0);
    expect(imported.stdout).toMatch(/Restored .*1 user\b/);

    // (Passkeys off there: this test's phone has no authenticator to answer with.)
    const target = await qridOn(prefixes.target, { passkeys: { policy: 'off' } });
    try {
      // The same phone (its cookie) is enrolled there too, and approves a sign-in.
      const samePhone = new BrowserClient(target.issuer, phone.userAgent);
      for (const [name, cookie] of phone.cookies) samePhone.cookies.set(name, cookie);
      expect((await samePhone.get('/phone')).text).toContain('Signed in as Alice Example');
      const rpB = await RelyingParty.discover(target.issuer);
      const desktop = new BrowserClient(target.issuer);
      const callback = await signIn(desktop, samePhone, rpB);
      const after = await rpB.redeem(callback);
      expect(decodeProtectedHeader(after.id_token as string).kid).toBe(decodeProtectedHeader(before.id_token as string).kid);
      expect(after.claims()?.sub).toBe(userId);
      const services = target.qrid.services;
      expect((await services.users.find(userId))?.groups).toEqual(['ops', 'staff']);
      expect(await services.passkeys.hasPasskey(device!.id)).toBe(true);
      expect((await services.consents.list(userId)).map((c) => c.clientId)).toEqual(['test-rp']);

      // A store with users is not restored into.
      const again = await cli(['import', file], prefixes.target);
      expect(again.code).toBe(1);
      expect(again.stderr).toContain('already has users or keys');
    } finally {
      await target.close();
    }
  });

  it('refuses a damaged or cut-off file and writes nothing', async () => {
    const good = readFileSync(join(dir, 'backup.jsonl'), 'utf8').trim().split('\n');
    const cut = join(dir, 'cut.jsonl');
    writeFileSync(cut, `${good.slice(0, -1).join('\n')}\n`);
    const refused = await cli(['import', cut], prefixes.damaged);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('without its closing line: it was cut off');
    const broken = join(dir, 'broken.jsonl');
    writeFileSync(broken, [good[0], '{"type":"user"', ...good.slice(1)].join('\n'));
    expect((await cli(['import', broken], prefixes.damaged)).stderr).toContain('line 2: not JSON');
    expect(await raw.keys(`${prefixes.damaged}*`)).toEqual([]);
  });
});
