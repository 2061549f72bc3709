import { Consents, type Consent } from '../accounts/consents.js';
import { Devices } from '../accounts/devices.js';
import { Passkeys } from '../accounts/passkeys.js';
import { Users } from '../accounts/users.js';
import type { Config } from '../config/schema.js';
import { SigningKeys } from '../keys/signing-keys.js';
import { VapidKeyStore } from '../push/vapid-keys.js';
import type { Fields, Store } from '../store/store.js';

/**
 * Backups of what qrid cannot rebuild: users (with their groups), devices (their secrets'
 * hashes: enrolled phones stay signed in after a restore), passkeys, consents, and the signing
 * and push keys (sealed: a backup alone cannot sign anything; restore it with the same cookie
 * keys). JSON lines, versioned, ending with a line of counts so that a cut-off file is noticed.
 *
 * Not in a backup, and lost in a restore: browser sessions, tokens and grants (people sign in to
 * apps again, and apps' refresh tokens stop working), sign-ins in progress, enrollment links,
 * rate-limit counters.
 */
export const BACKUP_FORMAT = 'qrid-backup';
export const BACKUP_VERSION = 1;
export const NOT_IN_BACKUP = 'browser sessions, tokens and grants, sign-ins in progress, enrollment links and rate-limit counters';

type Line =
  | { type: 'signing-key' | 'push-key' | 'user' | 'device' | 'passkey'; record: Fields }
  | { type: 'consent'; accountId: string; consent: Consent };

function parts(store: Store, config: Pick<Config, 'cookie_keys' | 'issuer' | 'passkeys' | 'enrollment'>) {
  return {
    users: new Users(store),
    devices: new Devices(store, config.enrollment.device_session_days),
    passkeys: new Passkeys(store, config.issuer, config.passkeys.rp_name),
    consents: new Consents(store),
    signingKeys: new SigningKeys(store, config.cookie_keys),
    vapid: new VapidKeyStore(store, config.cookie_keys),
  };
}

export async function exportBackup(store: Store, config: Pick<Config, 'cookie_keys' | 'issuer' | 'passkeys' | 'enrollment'>, write: (line: string) => void): Promise<Record<string, number>> {
  const p = parts(store, config);
  const counts: Record<string, number> = {};
  const out = (line: Line) => {
    counts[line.type] = (counts[line.type] ?? 0) + 1;
    write(JSON.stringify(line));
  };
  write(JSON.stringify({ format: BACKUP_FORMAT, version: BACKUP_VERSION, exportedAt: new Date().toISOString(), issuer: config.issuer }));
  for (const record of await p.signingKeys.exportRecords()) out({ type: 'signing-key', record });
  const push = await p.vapid.exportRecord();
  if (push) out({ type: 'push-key', record: push });
  for (const user of await p.users.exportRecords()) {
    out({ type: 'user', record: user });
    const id = user.id ?? '';
    for (const device of await p.devices.exportRecords(id)) {
      out({ type: 'device', record: device });
      for (const passkey of await p.passkeys.exportRecords(device.id ?? '')) out({ type: 'passkey', record: passkey });
    }
    for (const consent of await p.consents.list(id)) out({ type: 'consent', accountId: id, consent });
  }
  write(JSON.stringify({ type: 'end', counts }));
  return counts;
}

export class BackupError extends Error {
  override readonly name = 'BackupError';
}

/**
 * Restores a backup into a store that has no users and no keys yet. Every line is read and
 * checked before anything is written, so a damaged file changes nothing.
 */
export async function importBackup(store: Store, config: Pick<Config, 'cookie_keys' | 'issuer' | 'passkeys' | 'enrollment'>, text: string): Promise<Record<string, number>> {
  const lines = text.split('\n').filter((line) => line.trim());
  const parsed = lines.map((line, index) => {
    try {
      return JSON.parse(line) as Record<string, unknown>;
    } catch {
      throw new BackupError(`line ${index + 1}: not JSON`);
    }
  });
  const header = parsed[0];
  if (header?.format !== BACKUP_FORMAT) throw new BackupError('line 1: not a qrid backup');
  if (header.version !== BACKUP_VERSION) throw new BackupError(`line 1: version ${String(header.version)} (this qrid reads version ${BACKUP_VERSION})`);
  const end = parsed.at(-1);
  if (end?.type !== 'end') throw new BackupError(`the file ends at line ${lines.length} without its closing line: it was cut off`);
  const body = parsed.slice(1, -1) as Line[];
  const counts: Record<string, number> = {};
  body.forEach((line, index) => {
    const where = `line ${index + 2}`;
    if (line.type === 'consent') {
      if (typeof line.accountId !== 'string' || typeof line.consent?.clientId !== 'string') throw new BackupError(`${where}: a consent needs an account and a client`);
    } else if (!['signing-key', 'push-key', 'user', 'device', 'passkey'].includes(line.type) || !line.record || typeof line.record !== 'object') {
      throw new BackupError(`${where}: unknown entry ${JSON.stringify((line as { type?: unknown }).type)}`);
    }
    counts[line.type] = (counts[line.type] ?? 0) + 1;
  });
  if (JSON.stringify(counts) !== JSON.stringify(end.counts)) throw new BackupError(`the closing line counts ${JSON.stringify(end.counts)}, the file holds ${JSON.stringify(counts)}`);

  const p = parts(store, config);
  if ((await p.users.count()) > 0 || (await p.signingKeys.list()).length > 0) {
    throw new BackupError('this store already has users or keys: restore into an empty one (another key prefix or a fresh Redis)');
  }
  for (const line of body) {
    try {
      if (line.type === 'signing-key') await p.signingKeys.importRecord(line.record);
      else if (line.type === 'push-key') await p.vapid.importRecord(line.record);
      else if (line.type === 'user') await p.users.importRecord(line.record);
      else if (line.type === 'device') await p.devices.importRecord(line.record);
      else if (line.type === 'passkey') await p.passkeys.importRecord(line.record);
      else if (line.type === 'consent') await p.consents.importConsent(line.accountId, line.consent);
    } catch (error) {
      throw new BackupError(`while restoring a ${line.type}: ${error instanceof Error ? error.message : String(error)} (the store now holds part of the backup: empty it before trying again)`);
    }
  }
  // The keys must open with this configuration's cookie keys, or nothing could be signed.
  await p.signingKeys.forProvider().catch((error: unknown) => {
    throw new BackupError(`the restored signing keys cannot be opened: ${error instanceof Error ? error.message : String(error)}`);
  });
  return counts;
}
