import webpush from 'web-push';

import { seal, unseal } from '../keys/seal.js';
import type { Store } from '../store/store.js';

/**
 * qrid's VAPID key pair (RFC 8292), which identifies it to browsers' push services: made once,
 * kept in the store like the signing keys (the private key sealed with the cookie keys), the
 * same for every instance.
 */
const RECORD = 'push:vapid';

export interface VapidKeys {
  publicKey: string;
  privateKey: string;
}

export class VapidKeyStore {
  #loaded: Promise<VapidKeys> | undefined;

  constructor(
    private readonly store: Store,
    private readonly cookieKeys: readonly string[],
  ) {}

  get(): Promise<VapidKeys> {
    this.#loaded ??= this.#load().catch((error: unknown) => {
      this.#loaded = undefined;
      throw error;
    });
    return this.#loaded;
  }

  /** Backups: the key pair as stored (the private key sealed), if one was made. */
  async exportRecord(): Promise<Record<string, string> | undefined> {
    return this.store.getRecord(RECORD);
  }

  async importRecord(fields: Record<string, string>): Promise<void> {
    if (!fields.publicKey || !fields.sealed) throw new Error('a push key record needs its public key and sealed private key');
    await this.store.putRecord(RECORD, { publicKey: fields.publicKey, sealed: fields.sealed });
    this.#loaded = undefined;
  }

  async #load(): Promise<VapidKeys> {
    const fresh = webpush.generateVAPIDKeys();
    // The first instance to get here decides; everyone reads what landed.
    await this.store.putRecordIfAbsent(RECORD, { publicKey: fresh.publicKey, sealed: seal(fresh.privateKey, this.cookieKeys[0] as string) });
    const record = await this.store.getRecord(RECORD);
    const privateKey = record?.sealed ? unseal(record.sealed, this.cookieKeys) : undefined;
    if (!record?.publicKey || !privateKey) throw new Error('the push key in the store cannot be opened with any configured cookie key');
    return { publicKey: record.publicKey, privateKey };
  }
}
