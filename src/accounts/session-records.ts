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
}

const recordKey = (uid: string) => `session-record:${uid}`;
/**
 * Sessions of one account, for the phone's session list, "sign out everywhere" and device
 * removal. Every record has the same lifetime, renewed with the index's on each save and
 * touch, so the index lives as long as its longest-lived session.
 */
export const accountSessionsKey = (accountId: string) => `account-sessions:${accountId}`;

export class SessionRecords {
  constructor(
    private readonly store: Store,
    private readonly ttlSeconds: number,
  ) {}

  /** Records a new session; false (and nothing written) if this uid already has a record. */
  async save(record: SessionRecord): Promise<boolean> {
    if (!(await this.store.putRecordIfAbsent(recordKey(record.uid), toFields(record), this.ttlSeconds))) return false;
    await this.store.addToIndex(accountSessionsKey(record.accountId), record.uid, this.ttlSeconds);
    return true;
  }

  async find(uid: string): Promise<SessionRecord | undefined> {
    const fields = await this.store.getRecord(recordKey(uid));
    return fields ? fromFields(fields) : undefined;
  }

  /**
   * The session was used again: its record lives `ttlSeconds` from now, and so does the
   * account's index, which would otherwise expire with the session's first login and hide a
   * still-active session from the phone's list and from "sign out everywhere".
   */
  async touch(uid: string, accountId: string): Promise<void> {
    const touched = await this.store.patchRecord(recordKey(uid), { lastUsedAt: String(Date.now()) }, { ttlSeconds: this.ttlSeconds });
    if (touched) await this.store.addToIndex(accountSessionsKey(accountId), uid, this.ttlSeconds);
  }

  /** Session uids of an account (entries may outlive their session; readers check). */
  async ofAccount(accountId: string): Promise<string[]> {
    return this.store.indexMembers(accountSessionsKey(accountId));
  }

  /** The sessions a device approved: its account's sessions, filtered by their records. */
  async forDevice(device: { id: string; userId: string }): Promise<string[]> {
    const uids = await this.ofAccount(device.userId);
    const records = await Promise.all(uids.map((uid) => this.find(uid)));
    return uids.filter((_, i) => records[i]?.deviceId === device.id);
  }

  async remove(uid: string, accountId?: string): Promise<void> {
    const owner = accountId ?? (await this.find(uid))?.accountId;
    await this.store.deleteKeys([recordKey(uid)]);
    if (owner) await this.store.removeFromIndex(accountSessionsKey(owner), uid);
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
  };
}
