import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

import { decodeJwt, generateKeyPair, importJWK, type JWK, SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { projectRoot } from '../../src/paths.js';
import { BrowserClient } from '../support/browser-client.js';
import { readQrPage } from '../support/phone.js';
import { RelyingParty } from '../support/relying-party.js';
import { FIRST_PARTY, type RunningQrid, startQrid } from '../support/start-qrid.js';

const run = promisify(execFile);

/** `npx qrid enroll` and `npx qrid approve`: a terminal as the phone, signing with its own key. */
describe('companion CLI and device-key API', () => {
  let qrid: RunningQrid;
  const keyFile = join(mkdtempSync(join(tmpdir(), 'qrid-companion-')), 'device-key.json');
  let userId: string;

  const cli = async (args: string[]) => {
    try {
      const { stdout, stderr } = await run(process.execPath, [join(projectRoot, 'bin/qrid.js'), ...args, '--key', keyFile], { env: { PATH: process.env.PATH ?? '' } });
      return { code: 0, stdout, stderr };
    } catch (error) {
      const e = error as { code: number; stdout: string; stderr: string };
      return { code: e.code, stdout: e.stdout, stderr: e.stderr };
    }
  };

  beforeAll(async () => {
    qrid = await startQrid();
    const user = await qrid.qrid.services.users.create({ username: 'term', name: 'Terminal User' });
    userId = user.id;
    const { token } = await qrid.qrid.services.enrollments.create('invite', user.id);
    const enrolled = await cli(['enroll', `${qrid.issuer}/enroll/${token}`, '--name', 'CI terminal']);
    expect(enrolled.stderr).toBe('');
    expect(enrolled.stdout).toContain('Enrolled as a device of term');
  });
  afterAll(async () => {
    await qrid.close();
  });

  async function waiting() {
    const rp = await RelyingParty.discover(qrid.issuer, FIRST_PARTY.id, null);
    const desktop = new BrowserClient(qrid.issuer);
    return { rp, desktop, page: readQrPage(await desktop.follow(await desktop.get(await rp.authorizationUrl()))) };
  }

  const key = () => JSON.parse(readFileSync(keyFile, 'utf8')) as { deviceId: string; issuer: string; privateJwk: JWK };
  const sign = async (payload: Record<string, unknown>, privateJwk: JWK, kid = key().deviceId) =>
    new SignJWT({ nonce: randomBytes(16).toString('base64url'), ...payload })
      .setProtectedHeader({ alg: 'ES256', kid, typ: 'qrid-approval+jwt' })
      .setIssuedAt()
      .setAudience(qrid.issuer)
      .sign(await importJWK(privateJwk, 'ES256'));
  const send = (jws: string) =>
    fetch(`${qrid.issuer}/api/companion/approvals`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ jws }) });

  it('keeps the private key in a file only the user can read', () => {
    expect(statSync(keyFile).mode & 0o077).toBe(0);
    expect(key().privateJwk.d).toBeTruthy();
  });

  it('approves a QR login from the terminal; the RP learns it was a device key', async () => {
    const { rp, desktop, page } = await waiting();
    const approved = await cli(['approve', page.qrUrl, '--yes']);
    expect(approved.stderr).toBe('');
    expect(approved.stdout).toContain('Sign in to First-party SPA as term');
    expect(approved.stdout).toContain('Approved.');
    const done = await desktop.follow(await desktop.postForm(`/interaction/${page.uid}/complete`, { csrf: page.csrf }));
    const tokens = await rp.redeem(done.location as string);
    const claims = decodeJwt(tokens.id_token as string);
    expect(claims).toMatchObject({ sub: userId, acr: 'urn:qrid:acr:device-key', amr: ['mca', 'swk'] });
  });

  it('refuses to approve without a person or --yes, and denies with --deny', async () => {
    const { desktop, page } = await waiting();
    const unattended = await cli(['approve', page.qrUrl]);
    expect(unattended.code).toBe(1);
    expect(unattended.stderr).toContain('--yes');
    const denied = await cli(['approve', page.qrUrl, '--deny']);
    expect(denied.stdout).toContain('Denied.');
    const status = await desktop.get(`/interaction/${page.uid}/status`, { Accept: 'application/json' });
    expect(JSON.parse(status.text)).toEqual({ state: 'denied' });
  });

  it('refuses a replayed JWS', async () => {
    const { page } = await waiting();
    const handle = new URL(page.qrUrl).pathname.split('/')[2] as string;
    const jws = await sign({ handle, action: 'inspect' }, key().privateJwk);
    expect((await send(jws)).status).toBe(200);
    const replay = await send(jws);
    expect(replay.status).toBe(401);
    expect(await replay.json()).toMatchObject({ error: 'replayed_request' });
  });

  it('refuses a JWS signed by another key, a stale one, and one for another issuer', async () => {
    const { page, desktop } = await waiting();
    const handle = new URL(page.qrUrl).pathname.split('/')[2] as string;
    const { privateKey } = await generateKeyPair('ES256', { extractable: true });
    const forged = await new SignJWT({ handle, action: 'approve', nonce: randomBytes(16).toString('base64url') })
      .setProtectedHeader({ alg: 'ES256', kid: key().deviceId, typ: 'qrid-approval+jwt' })
      .setIssuedAt()
      .setAudience(qrid.issuer)
      .sign(privateKey);
    const refused = await send(forged);
    expect(refused.status).toBe(401);
    expect(await refused.json()).toMatchObject({ error: 'invalid_request_signature' });

    const stale = await new SignJWT({ handle, action: 'approve', nonce: randomBytes(16).toString('base64url') })
      .setProtectedHeader({ alg: 'ES256', kid: key().deviceId, typ: 'qrid-approval+jwt' })
      .setIssuedAt(Math.floor(Date.now() / 1000) - 600)
      .setAudience(qrid.issuer)
      .sign(await importJWK(key().privateJwk, 'ES256'));
    expect((await send(stale)).status).toBe(401);

    const elsewhere = await new SignJWT({ handle, action: 'approve', nonce: randomBytes(16).toString('base64url') })
      .setProtectedHeader({ alg: 'ES256', kid: key().deviceId, typ: 'qrid-approval+jwt' })
      .setIssuedAt()
      .setAudience('https://other.example')
      .sign(await importJWK(key().privateJwk, 'ES256'));
    expect((await send(elsewhere)).status).toBe(401);

    const status = await desktop.get(`/interaction/${page.uid}/status`, { Accept: 'application/json' });
    expect(JSON.parse(status.text)).toMatchObject({ state: 'waiting' });
  });

  it('refuses a QR from another server than the one the key belongs to', async () => {
    const other = await cli(['approve', `https://elsewhere.example/q/${'u'.repeat(21)}.${'A'.repeat(22)}`, '--yes']);
    expect(other.code).toBe(1);
    expect(other.stderr).toContain('Refusing to answer it');
  });
});
