import { type Adapter, type AdapterPayload, errors } from 'oidc-provider';

import type { Store } from '../store/store.js';

/**
 * oidc-provider's storage, on qrid's store. One record per model instance
 * (`oidc:<Model>:<id>` → payload JSON + consumed mark), plus the secondary indexes the
 * provider looks things up by. Indexes expire with their members, so none grows forever.
 */
const GRANTABLE = new Set([
  'AccessToken',
  'AuthorizationCode',
  'RefreshToken',
  'DeviceCode',
  'BackchannelAuthenticationRequest',
]);

const modelKey = (model: string, id: string) => `oidc:${model}:${id}`;
const grantKey = (grantId: string) => `oidc:grant:${grantId}`;
const sessionUidKey = (uid: string) => `oidc:session-uid:${uid}`;
const userCodeKey = (userCode: string) => `oidc:user-code:${userCode}`;
/** Sessions of one account, for the phone's session list and "sign out everywhere". */
export const accountSessionsKey = (accountId: string) => `oidc:account-sessions:${accountId}`;

/** Deletes every token issued under a grant (the same index revokeByGrantId uses). */
export async function revokeGrantTokens(store: Store, grantId: string): Promise<void> {
  const members = await store.indexMembers(grantKey(grantId));
  await store.deleteKeys([...members, grantKey(grantId), modelKey('Grant', grantId)]);
}

export function createOidcAdapter(store: Store): new (name: string) => Adapter {
  return class StoreAdapter implements Adapter {
    constructor(readonly name: string) {}

    async upsert(id: string, payload: AdapterPayload, expiresIn: number): Promise<void> {
      const key = modelKey(this.name, id);
      const ttl = expiresIn > 0 ? expiresIn : undefined;
      await store.putRecord(key, { payload: JSON.stringify(payload), consumed: '' }, ttl);
      if (GRANTABLE.has(this.name) && payload.grantId) {
        await store.addToIndex(grantKey(payload.grantId), key, ttl);
      }
      if (this.name === 'Session') {
        if (payload.uid) await store.putRecord(sessionUidKey(payload.uid), { id }, ttl);
        if (payload.accountId) await store.addToIndex(accountSessionsKey(payload.accountId), payload.uid ?? id, ttl);
      }
      if (this.name === 'DeviceCode' && payload.userCode) {
        await store.putRecord(userCodeKey(payload.userCode), { id }, ttl);
      }
    }

    async find(id: string): Promise<AdapterPayload | undefined> {
      const record = await store.getRecord(modelKey(this.name, id));
      if (!record?.payload) return undefined;
      const payload = JSON.parse(record.payload) as AdapterPayload;
      if (record.consumed) payload.consumed = Number(record.consumed);
      return payload;
    }

    async findByUid(uid: string): Promise<AdapterPayload | undefined> {
      const ref = await store.getRecord(sessionUidKey(uid));
      return ref?.id ? this.find(ref.id) : undefined;
    }

    async findByUserCode(userCode: string): Promise<AdapterPayload | undefined> {
      const ref = await store.getRecord(userCodeKey(userCode));
      return ref?.id ? this.find(ref.id) : undefined;
    }

    /**
     * Single use under concurrency: oidc-provider checks `consumed` and then calls this, so two
     * racing token requests could both pass its check. Only one conditional patch wins; the
     * loser is treated as a replay (grant revoked), as the provider does for a late replay.
     */
    async consume(id: string): Promise<void> {
      const won = await store.patchRecord(
        modelKey(this.name, id),
        { consumed: String(Math.floor(Date.now() / 1000)) },
        { ifMatch: { consumed: '' } },
      );
      if (won) return;
      const existing = await this.find(id);
      if (existing?.grantId) await this.revokeByGrantId(existing.grantId);
      throw new errors.InvalidGrant(`${this.name === 'RefreshToken' ? 'refresh token' : 'grant'} already consumed`);
    }

    async destroy(id: string): Promise<void> {
      const key = modelKey(this.name, id);
      if (this.name === 'Session') {
        const payload = await this.find(id);
        if (payload?.uid) await store.deleteKeys([sessionUidKey(payload.uid)]);
        if (payload?.accountId) await store.removeFromIndex(accountSessionsKey(payload.accountId), payload.uid ?? id);
      }
      await store.deleteKeys([key]);
    }

    async revokeByGrantId(grantId: string): Promise<void> {
      const members = await store.indexMembers(grantKey(grantId));
      await store.deleteKeys([...members, grantKey(grantId)]);
    }
  };
}
