import { setTimeout as sleep } from 'node:timers/promises';

import { calculateJwkThumbprint, exportJWK, generateKeyPair, type JWK } from 'jose';

import type { Fields, Store } from '../store/store.js';
import { seal, unseal } from './seal.js';

/**
 * The provider's signing keys, one record each in the store, shared by every instance and
 * sealed at rest (seal.ts). There is always one key per algorithm that signs; a rotation adds a
 * key that is only published at first (so relying parties that cache the JWKS learn it before
 * anything is signed with it) and signs from its `activatesAt`; the key it replaces keeps being
 * published, so what it signed still verifies, until it is retired.
 *
 *   pending ──(activatesAt)──▶ signing ──(a newer key of its algorithm signs)──▶ verifying ──retire──▶ gone
 */
export const SIGNING_ALGS = ['RS256', 'ES256'] as const;
export type SigningAlg = (typeof SIGNING_ALGS)[number];
export type KeyState = 'pending' | 'signing' | 'verifying';

/** Instances reload their keys when this channel says the set changed. */
export const SIGNING_KEYS_CHANGED = 'signing-keys-changed';

export interface SigningKeyInfo {
  kid: string;
  alg: SigningAlg;
  state: KeyState;
  createdAt: number;
  activatesAt: number;
  /** A verifying key: when a newer key took over its signing. */
  replacedAt?: number;
}

export class SigningKeyError extends Error {
  override readonly name = 'SigningKeyError';
}

const INDEX = 'signing-keys';
const SETUP_LOCK = 'signing-keys:setup';
/** The single ES256 key of earlier versions: adopted as the first ES256 key. */
const LEGACY_RECORD = 'keys:signing';
const keyRecord = (kid: string) => `signing-key:${kid}`;

interface StoredKey {
  kid: string;
  alg: SigningAlg;
  sealed: string;
  createdAt: number;
  activatesAt: number;
}

export class SigningKeys {
  constructor(
    private readonly store: Store,
    private readonly cookieKeys: readonly string[],
    private readonly now: () => number = Date.now,
  ) {}

  /** Every key with its state, newest first within each algorithm. */
  async list(): Promise<SigningKeyInfo[]> {
    return describe(await this.#stored(), this.now());
  }

  /**
   * The private keys as oidc-provider takes them: per algorithm the signing key first and with
   * no `key_ops`, every other key marked `key_ops: ["verify"]` (published and used to verify,
   * never to sign). Creates the first keys on a new store. `nextChange` is when a pending key
   * starts signing, so the caller can load again then.
   */
  async forProvider(): Promise<{ jwks: JWK[]; nextChange?: number }> {
    const stored = await this.#ensureFirstKeys();
    const now = this.now();
    const infos = describe(stored, now);
    const byKid = new Map(stored.map((key) => [key.kid, key]));
    const order: Record<KeyState, number> = { signing: 0, pending: 1, verifying: 2 };
    const jwks = infos
      .sort((a, b) => order[a.state] - order[b.state])
      .map((info) => {
        const jwk = this.#open(byKid.get(info.kid) as StoredKey);
        return info.state === 'signing' ? jwk : { ...jwk, key_ops: ['verify'] };
      });
    const upcoming = infos.filter((info) => info.state === 'pending').map((info) => info.activatesAt);
    return { jwks, nextChange: upcoming.length ? Math.min(...upcoming) : undefined };
  }

  /**
   * A new key for each algorithm, published now and signing `delaySeconds` from now. Refused
   * while an earlier rotation of that algorithm is still pending.
   */
  async rotate(algs: readonly SigningAlg[], delaySeconds: number): Promise<SigningKeyInfo[]> {
    const stored = await this.#ensureFirstKeys();
    const now = this.now();
    const waiting = describe(stored, now).find((info) => info.state === 'pending' && algs.includes(info.alg));
    if (waiting) {
      throw new SigningKeyError(
        `a new ${waiting.alg} key (${waiting.kid}) is already waiting to sign from ${new Date(waiting.activatesAt).toISOString()}; retire it first to start over`,
      );
    }
    const added: StoredKey[] = [];
    for (const alg of algs) {
      // Strictly after the current key's start, so "the latest key signs" has one answer.
      const latest = Math.max(...stored.filter((key) => key.alg === alg).map((key) => key.activatesAt));
      added.push(await this.#create(alg, now, Math.max(now + delaySeconds * 1000, latest + 1)));
    }
    return describe([...stored, ...added], now).filter((info) => added.some((key) => key.kid === info.kid));
  }

  /**
   * Removes a key from the JWKS for good. The signing key cannot go (rotate first); a replaced
   * key only once tokens it signed have expired (`tokenSeconds` after it was replaced), unless
   * forced, as after a compromise.
   */
  async retire(kid: string, options: { tokenSeconds: number; force?: boolean }): Promise<SigningKeyInfo> {
    const now = this.now();
    const info = describe(await this.#stored(), now).find((key) => key.kid === kid);
    if (!info) throw new SigningKeyError(`no signing key with kid ${kid} (see qrid keys list)`);
    if (info.state === 'signing') {
      throw new SigningKeyError(`${kid} is the key that signs ${info.alg} tokens; rotate first, and retire it once the new key signs`);
    }
    const safeFrom = (info.replacedAt ?? 0) + options.tokenSeconds * 1000;
    if (info.state === 'verifying' && now < safeFrom && !options.force) {
      throw new SigningKeyError(
        `tokens ${kid} signed may still be valid until ${new Date(safeFrom).toISOString()}; retire it then (or with --force, which makes them fail to verify)`,
      );
    }
    await this.store.deleteKeys([keyRecord(kid)]);
    await this.store.removeFromIndex(INDEX, kid);
    return info;
  }

  /** Backups: every key as stored (the private parts sealed: useless without the cookie keys). */
  async exportRecords(): Promise<Fields[]> {
    return (await this.#stored()).map((key) => ({ kid: key.kid, alg: key.alg, sealed: key.sealed, createdAt: String(key.createdAt), activatesAt: String(key.activatesAt) }));
  }

  async importRecord(fields: Fields): Promise<void> {
    const key = fromFields(fields);
    if (!key.kid || !key.sealed || (fields.alg !== 'RS256' && fields.alg !== 'ES256')) throw new Error('a signing key record needs a kid, an algorithm and its sealed key');
    await this.#save(key);
  }

  async #stored(): Promise<StoredKey[]> {
    const kids = await this.store.indexMembers(INDEX);
    const records = await this.store.getRecords(kids.map(keyRecord));
    return records.flatMap((fields) => (fields ? [fromFields(fields)] : []));
  }

  /** On a new store one instance creates a key per algorithm; instances starting with it wait. */
  async #ensureFirstKeys(): Promise<StoredKey[]> {
    for (let attempt = 0; attempt < 120; attempt++) {
      const stored = await this.#stored();
      if (SIGNING_ALGS.every((alg) => stored.some((key) => key.alg === alg))) return stored;
      // The lock expires by itself, so an instance that died while creating keys blocks no one.
      if (await this.store.putRecordIfAbsent(SETUP_LOCK, { at: String(this.now()) }, 30)) {
        const now = this.now();
        const legacy = stored.length ? undefined : await this.store.getRecord(LEGACY_RECORD);
        if (legacy?.sealed && legacy.kid) {
          const adopted: StoredKey = { kid: legacy.kid, alg: 'ES256', sealed: legacy.sealed, createdAt: Number(legacy.createdAt) || now, activatesAt: Number(legacy.createdAt) || now };
          await this.#save(adopted);
          stored.push(adopted);
        }
        for (const alg of SIGNING_ALGS) {
          if (!stored.some((key) => key.alg === alg)) stored.push(await this.#create(alg, now, now));
        }
        await this.store.deleteKeys([SETUP_LOCK]);
        return stored;
      }
      await sleep(250);
    }
    throw new SigningKeyError('another instance is creating the first signing keys and has not finished; try again');
  }

  async #create(alg: SigningAlg, createdAt: number, activatesAt: number): Promise<StoredKey> {
    const { privateKey } = await generateKeyPair(alg, { extractable: true, ...(alg === 'RS256' ? { modulusLength: 2048 } : {}) });
    const jwk = await exportJWK(privateKey);
    const kid = await calculateJwkThumbprint(jwk);
    const key: StoredKey = { kid, alg, sealed: seal(JSON.stringify({ ...jwk, kid, alg, use: 'sig' }), this.cookieKeys[0] as string), createdAt, activatesAt };
    await this.#save(key);
    return key;
  }

  async #save(key: StoredKey): Promise<void> {
    await this.store.putRecord(keyRecord(key.kid), {
      kid: key.kid,
      alg: key.alg,
      sealed: key.sealed,
      createdAt: String(key.createdAt),
      activatesAt: String(key.activatesAt),
    });
    await this.store.addToIndex(INDEX, key.kid);
  }

  #open(key: StoredKey): JWK {
    const plain = unseal(key.sealed, this.cookieKeys);
    if (!plain) {
      throw new SigningKeyError(`signing key ${key.kid} cannot be opened with any configured cookie key; restore the cookie key it was made with`);
    }
    return JSON.parse(plain) as JWK;
  }
}

function fromFields(fields: Fields): StoredKey {
  const alg = fields.alg === 'RS256' ? 'RS256' : 'ES256';
  return { kid: fields.kid ?? '', alg, sealed: fields.sealed ?? '', createdAt: Number(fields.createdAt), activatesAt: Number(fields.activatesAt) };
}

/** Each key's state at `now`: per algorithm the latest key whose time has come signs. */
function describe(keys: readonly StoredKey[], now: number): SigningKeyInfo[] {
  const out: SigningKeyInfo[] = [];
  for (const alg of SIGNING_ALGS) {
    const mine = keys.filter((key) => key.alg === alg).sort((a, b) => b.activatesAt - a.activatesAt || b.createdAt - a.createdAt);
    let newerActive: StoredKey | undefined;
    for (const key of mine) {
      const base = { kid: key.kid, alg, createdAt: key.createdAt, activatesAt: key.activatesAt };
      if (key.activatesAt > now) out.push({ ...base, state: 'pending' });
      else if (!newerActive) out.push({ ...base, state: 'signing' });
      else out.push({ ...base, state: 'verifying', replacedAt: newerActive.activatesAt });
      if (key.activatesAt <= now) newerActive = key;
    }
  }
  return out;
}
