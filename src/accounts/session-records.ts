import type { Fields, Store } from '../store/store.js';

/**
 * What qrid knows about each browser session beyond oidc-provider's own record: which device
 * approved it, from which browser and address, when. Lets the phone list sessions and lets
 * removing a device end exactly the sessions it approved.
 */
export interface SessionRecord {
  uid: string;
  accountId: string;
  deviceId: string;
  approvalId: string;
  userAgent: string;
  ip: string;
  startedAt: number;
  lastUsedAt: number;
  amr: string[];
  /** A sign-in with no browser session (uid `grant:<id>`, a CIBA request): the app it was for. */
  clientId?: string;
}

/**
 * An account's session records, one record map per account (entry = session uid): recording
 * a login is one write and the map's renewal, and the list, "sign out everywhere" and device
 * removal read one key. A record lives `ttlSeconds` from its last use; the map lives as long
 * as its most recently used record, and readers drop the records that have run out.
 */
export const accountSessionsKey = (accountId: string) => `account-session-records:${accountId}`;

/**
 * The layout before record maps: a record per session and a set of uids per account. Still
 * read, touched and removed, so sessions started before an upgrade stay listed and can be
 * signed out; nothing new is written there. Removable once every such session has expired
 * (`ttl.session` after the upgrade, 14 days by default).
 */
const legacyRecordKey = (uid: string) => `session-record:${uid}`;
const legacyIndexKey = (accountId: string) => `account-sessions:${accountId}`;

export class SessionRecords {
  constructor(
    private readonly store: Store,
    private readonly ttlSeconds: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** Records a new session; false (and nothing written) if this uid already has a record. */
  async save(record: SessionRecord): Promise<boolean> {
    return this.store.putMapEntry(accountSessionsKey(record.accountId), record.uid, toFields(record), { ttlSeconds: this.ttlSeconds, ifAbsent: true });
  }

  async find(uid: string, accountId: string): Promise<SessionRecord | undefined> {
    const entry = await this.store.mapEntry(accountSessionsKey(accountId), uid);
    if (entry) return this.#live(fromFields(entry));
    const legacy = await this.store.getRecord(legacyRecordKey(uid));
    const record = legacy ? fromFields(legacy) : undefined;
    return record?.accountId === accountId ? record : undefined;
  }

  /**
   * The session was used again: its record lives `ttlSeconds` from now, and so does the
   * account's map. A session that has ended stays ended (its record is not written back).
   */
  async touch(uid: string, accountId: string): Promise<void> {
    const key = accountSessionsKey(accountId);
    const entry = await this.store.mapEntry(key, uid);
    if (entry) {
      const record = this.#live(fromFields(entry));
      if (record) await this.store.putMapEntry(key, uid, toFields({ ...record, lastUsedAt: this.now() }), { ttlSeconds: this.ttlSeconds });
      return;
    }
    const touched = await this.store.patchRecord(legacyRecordKey(uid), { lastUsedAt: String(this.now()) }, { ttlSeconds: this.ttlSeconds });
    if (touched) await this.store.addToIndex(legacyIndexKey(accountId), uid, this.ttlSeconds);
  }

  /** Session uids of an account whose records are live (the oidc-provider session may still have ended; readers check). */
  async ofAccount(accountId: string): Promise<string[]> {
    return [...(await this.records(accountId)).keys()];
  }

  /** The sessions a device approved. */
  async forDevice(device: { id: string; userId: string }): Promise<string[]> {
    return [...(await this.records(device.userId)).values()].filter((r) => r.deviceId === device.id).map((r) => r.uid);
  }

  async remove(uid: string, accountId: string): Promise<void> {
    await this.store.removeMapEntries(accountSessionsKey(accountId), [uid]);
    await this.store.deleteKeys([legacyRecordKey(uid)]);
    await this.store.removeFromIndex(legacyIndexKey(accountId), uid);
  }

  /** An account's live records by uid, legacy ones included; records that ran out are removed on the way. */
  async records(accountId: string): Promise<Map<string, SessionRecord>> {
    const key = accountSessionsKey(accountId);
    const [entries, legacyUids] = await Promise.all([this.store.mapEntries(key), this.store.indexMembers(legacyIndexKey(accountId))]);
    const live = new Map<string, SessionRecord>();
    const stale: string[] = [];
    for (const [uid, fields] of entries) {
      const record = this.#live(fromFields(fields));
      if (record) live.set(uid, record);
      else stale.push(uid);
    }
    if (stale.length > 0) await this.store.removeMapEntries(key, stale);
    const legacy = await this.store.getRecords(legacyUids.filter((uid) => !live.has(uid)).map(legacyRecordKey));
    for (const fields of legacy) if (fields?.accountId === accountId) live.set(fields.uid ?? '', fromFields(fields));
    return live;
  }

  #live(record: SessionRecord): SessionRecord | undefined {
    return record.lastUsedAt + this.ttlSeconds * 1000 > this.now() ? record : undefined;
  }
}

function toFields(r: SessionRecord): Fields {
  return {
    uid: r.uid,
    accountId: r.accountId,
    deviceId: r.deviceId,
    approvalId: r.approvalId,
    userAgent: r.userAgent,
    ip: r.ip,
    startedAt: String(r.startedAt),
    lastUsedAt: String(r.lastUsedAt),
    amr: r.amr.join(' '),
    ...(r.clientId ? { clientId: r.clientId } : {}),
  };
}

function fromFields(f: Fields): SessionRecord {
  return {
    uid: f.uid ?? '',
    accountId: f.accountId ?? '',
    deviceId: f.deviceId ?? '',
    approvalId: f.approvalId ?? '',
    userAgent: f.userAgent ?? '',
    ip: f.ip ?? '',
    startedAt: Number(f.startedAt ?? 0),
    lastUsedAt: Number(f.lastUsedAt ?? 0),
    amr: (f.amr ?? '').split(' ').filter(Boolean),
    ...(f.clientId ? { clientId: f.clientId } : {}),
  };
}
