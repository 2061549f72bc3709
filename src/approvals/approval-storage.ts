import type { Fields, Store } from '../store/store.js';
import { type Approval, withDecision } from './approval-record.js';
import { secondsUntil } from './approval-rules.js';

/**
 * Storage: the approval is one record keyed by its interaction's uid (so the waiting browser
 * finds it without a look-up key). The QR handle names that id itself (qr-handle.ts) and the
 * approval holds the hash of the one handle it accepts; the typed code, which cannot carry an
 * id, has a small record pointing at the approval (typed-codes.ts). The decision is a second
 * record per round (a denied request may start over: a new round), read with the approval in
 * one MGET. It names the handle it used, which is how a handle is used up. A decision racing a
 * scan by another phone or a new QR wins: it was made with a handle that was valid when read,
 * and the phones' later attempts find the round decided.
 */
export const approvalKey = (id: string) => `approval:${id}`;
/** Round 0, nearly every login, has the key every reader fetches together with the approval. */
const decisionKey = (id: string, round: number) => (round === 0 ? `approval-decision:${id}` : `approval-decision:${id}:${round}`);

/** What the store holds for an approval: its record, its round's decision, and the two merged. */
export interface StoredApproval {
  record: Fields;
  decision: Fields | undefined;
  approval: Approval;
}

/** One MGET (the approval and round 0's decision); a later round's decision costs one more read. */
export async function readApproval(store: Store, id: string): Promise<StoredApproval | undefined> {
  const [record, firstDecision] = await store.getRecords([approvalKey(id), decisionKey(id, 0)]);
  if (!record) return undefined;
  const round = Number(record.round ?? 0) || 0;
  const decision = round === 0 ? firstDecision : await store.getRecord(decisionKey(id, round));
  return { record, decision, approval: withDecision(record, decision) };
}

/** The round's one decision: created only if the round has none (one command, first writer wins). */
export function createDecision(store: Store, approval: Approval, fields: Fields, now: number): Promise<boolean> {
  return store.putRecordIfAbsent(decisionKey(approval.id, approval.round), fields, secondsUntil(approval.expiresAt, now));
}
