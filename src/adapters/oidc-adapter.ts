import { type Adapter, type AdapterPayload, errors } from 'oidc-provider';

import type { Fields, Store } from '../store/store.js';

/**
 * oidc-provider's storage, on qrid's store: one record per model instance
 * (`oidc:<Model>:<id>` → payload JSON), plus the two look-ups the provider needs (session by
 * uid, device flow by user code).
 *
 * Single-use models (codes, refresh tokens, PAR request URIs, device and CIBA requests) are
 * marked consumed by a separate key (`…:<id>:consumed`) created with SET NX: one command that
 * has exactly one winner, where patching the record needed a script (three commands). find()
 * reads both keys in one MGET for every model, so no list of consumable models can fall out of
 * step with oidc-provider's.
 *
 * A session is found two ways: by its id (the browser's cookie) and by its uid (codes and
 * tokens carry it; oidc-provider looks the session up on every code exchange, userinfo and
 * introspection call). Its payload is stored once, under the uid, and the id's record points
 * there: one read by uid, two by id, where a uid → id pointer needed two reads at every token
 * use. Records written by earlier versions (payload under the id, id under the uid) are still
 * read and destroyed.
 *
 * Tokens are not indexed by grant. Revoking a grant deletes the Grant record, and
 * oidc-provider refuses every token whose grant it cannot find (code and refresh exchanges,
 * userinfo, introspection all load the grant), so one DEL revokes every token issued under
 * it; the orphaned token records expire on their own. The provider is configured with
 * `revokeGrantPolicy: () => true` so that no revocation means "tokens but not the grant".
 */
/** Where a model instance is stored, for a caller that reads it together with other records. */
export const modelKey = (model: string, id: string) => `oidc:${model}:${id}`;
const consumedKey = (model: string, id: string) => `oidc:${model}:${id}:consumed`;
const sessionUidKey = (uid: string) => `oidc:session-uid:${uid}`;
const userCodeKey = (userCode: string) => `oidc:user-code:${userCode}`;

/**
 * A device code or CIBA request stays this long past its expiry, so a client that polls late is
 * told `expired_token` (RFC 8628 §3.5, CIBA §11) and the verification page "expired", not
 * "unknown".
 */
export const DEVICE_CODE_KEPT_SECONDS = 600;
const KEPT_PAST_EXPIRY = new Set(['DeviceCode', 'BackchannelAuthenticationRequest']);

/** The payload a model record holds (without its consumed mark, which only single-use models have). */
export function modelPayload(record: Fields | undefined): AdapterPayload | undefined {
  return record?.payload ? (JSON.parse(record.payload) as AdapterPayload) : undefined;
}

/** The session payload a uid's record holds, if it is the session `id` names (a stale pointer finds nothing). */
function sessionOf(id: string, held: Fields | undefined): AdapterPayload | undefined {
  const payload = modelPayload(held);
  return payload?.jti === id ? payload : undefined;
}

/** Revokes a grant and with it every token issued under it (see above). */
export async function revokeGrantTokens(store: Store, grantId: string): Promise<void> {
  await store.deleteKeys([modelKey('Grant', grantId)]);
}

/**
 * `consumedTtlSeconds` gives each single-use model's longest lifetime: a consumed mark lives
 * that long (consume() is not told the record's remaining time), so it never expires before
 * its record does.
 */
export function createOidcAdapter(store: Store, consumedTtlSeconds: (model: string) => number): new (name: string) => Adapter {
  return class StoreAdapter implements Adapter {
    constructor(readonly name: string) {}

    async upsert(id: string, payload: AdapterPayload, expiresIn: number): Promise<void> {
      const ttl = expiresIn > 0 ? expiresIn + (KEPT_PAST_EXPIRY.has(this.name) ? DEVICE_CODE_KEPT_SECONDS : 0) : undefined;
      const record = { payload: JSON.stringify(payload) };
      if (this.name === 'Session' && payload.uid) {
        await Promise.all([store.putRecord(sessionUidKey(payload.uid), record, ttl), store.putRecord(modelKey(this.name, id), { uid: payload.uid }, ttl)]);
        return;
      }
      const writes = [store.putRecord(modelKey(this.name, id), record, ttl)];
      if (this.name === 'DeviceCode' && payload.userCode) writes.push(store.putRecord(userCodeKey(payload.userCode), { id }, ttl));
      await Promise.all(writes);
    }

    async find(id: string): Promise<AdapterPayload | undefined> {
      const [record, consumed] = await store.getRecords([modelKey(this.name, id), consumedKey(this.name, id)]);
      if (record?.uid && !record.payload) return sessionOf(id, await store.getRecord(sessionUidKey(record.uid)));
      const payload = modelPayload(record);
      if (payload && consumed?.at) payload.consumed = Number(consumed.at);
      return payload;
    }

    async findByUid(uid: string): Promise<AdapterPayload | undefined> {
      const held = await store.getRecord(sessionUidKey(uid));
      if (held?.payload) return modelPayload(held);
      return held?.id ? this.find(held.id) : undefined; // an earlier version's pointer
    }

    async findByUserCode(userCode: string): Promise<AdapterPayload | undefined> {
      const ref = await store.getRecord(userCodeKey(userCode));
      return ref?.id ? this.find(ref.id) : undefined;
    }

    /**
     * Single use under concurrency: oidc-provider checks `consumed` and then calls this, so two
     * racing token requests could both pass its check. Only one creation of the consumed mark
     * wins; the loser is treated as a replay (grant revoked), as the provider does for a late
     * replay.
     */
    async consume(id: string): Promise<void> {
      const won = await store.putRecordIfAbsent(consumedKey(this.name, id), { at: String(Math.floor(Date.now() / 1000)) }, consumedTtlSeconds(this.name));
      if (won) return;
      const existing = await this.find(id);
      if (existing?.grantId) await this.revokeByGrantId(existing.grantId);
      throw new errors.InvalidGrant(`${this.name === 'RefreshToken' ? 'refresh token' : 'grant'} already consumed`);
    }

    async destroy(id: string): Promise<void> {
      const keys = [modelKey(this.name, id), consumedKey(this.name, id)];
      if (this.name === 'Session') {
        // The uid's record goes only if it is this session's: never a newer session's under the same uid.
        const uid = (await this.find(id))?.uid;
        if (typeof uid === 'string') keys.push(sessionUidKey(uid));
      }
      await store.deleteKeys(keys);
    }

    async revokeByGrantId(grantId: string): Promise<void> {
      await revokeGrantTokens(store, grantId);
    }
  };
}
