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
const deviceSessionsKey = (deviceId: string) => `device-sessions:${deviceId}`;

export class SessionRecords {
  constructor(
    private readonly store: Store,
    private readonly ttlSeconds: number,
  ) {}

  async save(record: SessionRecord): Promise<void> {
    await this.store.putRecord(recordKey(record.uid), toFields(record), this.ttlSeconds);
    if (record.deviceId) await this.store.addToIndex(deviceSessionsKey(record.deviceId), record.uid, this.ttlSeconds);
  }

  async find(uid: string): Promise<SessionRecord | undefined> {
    const fields = await this.store.getRecord(recordKey(uid));
    return fields ? fromFields(fields) : undefined;
  }

  async touch(uid: string): Promise<void> {
    await this.store.patchRecord(recordKey(uid), { lastUsedAt: String(Date.now()) }, { ttlSeconds: this.ttlSeconds });
  }

  async forDevice(deviceId: string): Promise<string[]> {
    return this.store.indexMembers(deviceSessionsKey(deviceId));
  }

  async remove(uid: string): Promise<void> {
    const record = await this.find(uid);
    await this.store.deleteKeys([recordKey(uid)]);
    if (record?.deviceId) await this.store.removeFromIndex(deviceSessionsKey(record.deviceId), uid);
  }

  async forgetDevice(deviceId: string): Promise<void> {
    await this.store.deleteKeys([deviceSessionsKey(deviceId)]);
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
