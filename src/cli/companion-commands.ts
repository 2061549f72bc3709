import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline/promises';

import { exportJWK, generateKeyPair, importJWK, type JWK, SignJWT } from 'jose';

import { QR_HANDLE_PATTERN } from '../approvals/qr-handle.js';
import { COMPANION_JWS_TYPE } from '../companion/verify-device-jws.js';
import { CliError } from './cli-error.js';
import type { Output } from './users-commands.js';

/**
 * The reference companion: `qrid enroll` registers this terminal as a device with its own
 * ES256 key (kept in a file, never sent), `qrid approve` answers a QR login by signing the
 * decision. It talks to qrid over HTTP, like a phone app would.
 */
export interface KeyFile {
  issuer: string;
  deviceId: string;
  username: string;
  privateJwk: JWK;
}

export function defaultKeyFile(env: Record<string, string | undefined> = process.env): string {
  return env.QRID_KEY_FILE ?? join(env.XDG_CONFIG_HOME ?? join(homedir(), '.config'), 'qrid', 'device-key.json');
}

export async function enrollCompanion(io: Output, args: { url: string; keyFile: string; name?: string }): Promise<void> {
  const link = parseUrl(args.url, /^\/enroll\/([\w-]{22})$/, 'an enrollment link (https://…/enroll/<token>)');
  const { privateKey, publicKey } = await generateKeyPair('ES256', { extractable: true });
  const response = await post(`${link.origin}/api/companion/enroll`, {
    token: link.secret,
    device_name: args.name ?? 'Terminal',
    public_key: await exportJWK(publicKey),
  });
  const body = response.body as { device_id: string; username: string; issuer: string };
  const keyFile: KeyFile = { issuer: body.issuer, deviceId: body.device_id, username: body.username, privateJwk: await exportJWK(privateKey) };
  mkdirSync(dirname(args.keyFile), { recursive: true, mode: 0o700 });
  writeFileSync(args.keyFile, `${JSON.stringify(keyFile, null, 2)}\n`, { mode: 0o600 });
  io.out(`Enrolled as a device of ${body.username} at ${body.issuer}. Key kept in ${args.keyFile}.`);
}

export async function approveWithCompanion(
  io: Output,
  args: { url: string; keyFile: string; deny?: boolean; yes?: boolean; json?: boolean; number?: string },
): Promise<void> {
  let key: KeyFile;
  try {
    key = JSON.parse(readFileSync(args.keyFile, 'utf8')) as KeyFile;
  } catch {
    throw new CliError(`No device key at ${args.keyFile}. Enroll first: qrid enroll <enrollment-link>`);
  }
  const qr = parseUrl(args.url, new RegExp(`^/q/(${QR_HANDLE_PATTERN})$`), 'a qrid QR link (https://…/q/<handle>)');
  if (qr.origin !== new URL(key.issuer).origin) {
    throw new CliError(`This QR code is for ${qr.origin}, but this device is enrolled at ${key.issuer}. Refusing to answer it.`);
  }
  const endpoint = `${qr.origin}/api/companion/approvals`;
  const details = (await post(endpoint, { jws: await sign(key, qr.secret, 'inspect') })).body as Record<string, string> & {
    number_required?: boolean;
    choices?: number[];
  };
  const summary = `Sign in to ${details.clientName} as ${key.username}, from ${details.browser} on ${details.os} at ${details.ip} (${details.network}), requested ${details.age}`;
  let decision: 'approve' | 'deny' = args.deny ? 'deny' : 'approve';
  if (!args.json) io.out(summary);
  let number: number | undefined = args.number ? Number(args.number) : undefined;
  if (decision === 'approve' && details.number_required && !args.json) {
    io.out(`WARNING: this request comes from a different network than this device (${details.network}).`);
  }
  if (decision === 'approve' && (!args.yes || (details.number_required && number === undefined))) {
    if (!process.stdin.isTTY) {
      throw new CliError(
        details.number_required && args.yes
          ? 'This approval needs the number shown on the computer: pass --number N.'
          : 'Not approving without a person to confirm: run in a terminal, or pass --yes.',
      );
    }
    const rl = createInterface({ input: process.stdin, output: process.stdout });
    if (details.number_required && number === undefined) {
      number = Number((await rl.question(`Which number does the computer show? (${(details.choices ?? []).join(' / ')}) `)).trim());
    }
    const answer = args.yes ? 'y' : await rl.question('Approve? Only if this is you, on a computer in front of you. [y/N] ');
    rl.close();
    if (!/^y(es)?$/i.test(answer.trim())) decision = 'deny';
  }
  const result = (await post(endpoint, { jws: await sign(key, qr.secret, decision, number) })).body as { state: string };
  if (args.json) io.out(JSON.stringify({ ...details, state: result.state }));
  else io.out(result.state === 'approved' ? 'Approved.' : 'Denied.');
}

async function sign(key: KeyFile, handle: string, action: string, number?: number): Promise<string> {
  return new SignJWT({ handle, action, nonce: randomBytes(16).toString('base64url'), ...(number !== undefined ? { number } : {}) })
    .setProtectedHeader({ alg: 'ES256', kid: key.deviceId, typ: COMPANION_JWS_TYPE })
    .setIssuedAt()
    .setAudience(key.issuer)
    .sign(await importJWK(key.privateJwk, 'ES256'));
}

function parseUrl(input: string, path: RegExp, what: string): { origin: string; secret: string } {
  let url: URL;
  try {
    url = new URL(input);
  } catch {
    throw new CliError(`Expected ${what}, got "${input}".`);
  }
  const match = path.exec(url.pathname);
  if (!match?.[1] || !/^https?:$/.test(url.protocol)) throw new CliError(`Expected ${what}, got "${input}".`);
  return { origin: url.origin, secret: match[1] };
}

async function post(url: string, body: unknown): Promise<{ status: number; body: unknown }> {
  let response: Response;
  try {
    response = await fetch(url, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', Accept: 'application/json' },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(10_000),
    });
  } catch (error) {
    throw new CliError(`Cannot reach ${new URL(url).origin}: ${error instanceof Error ? error.message : String(error)}`);
  }
  const parsed = (await response.json().catch(() => ({}))) as { error?: string; error_description?: string };
  if (!response.ok) throw new CliError(`${parsed.error_description ?? `HTTP ${response.status}`} (${parsed.error ?? response.status})`);
  return { status: response.status, body: parsed };
}
