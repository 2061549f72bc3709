import type { Store } from '../store/store.js';
import { approvalErrors } from './approval-errors.js';
import { secondsUntil } from './approval-rules.js';

/**
 * The typed fallback's records: a code cannot carry its approval's id the way a QR handle does,
 * so each code (stored as its hash) has a small record naming the approval. Single use: the
 * first use marks it, atomically. A used or expired code's record stays a while longer, so a
 * replay is told "already used" rather than "wrong code".
 */
const typedKey = (hash: string) => `typed:${hash}`;
const TOMBSTONE_SECONDS = 600;

export class TypedCodes {
  constructor(
    private readonly store: Store,
    private readonly now: () => number,
  ) {}

  /** Records a new code for `approvalId`, usable until `expiresAt` (ms). */
  async add(codeHash: string, approvalId: string, expiresAt: number): Promise<void> {
    const ttl = secondsUntil(expiresAt, this.now()) + TOMBSTONE_SECONDS;
    await this.store.putRecord(typedKey(codeHash), { approvalId }, ttl); // usedAt absent = unused
  }

  /** Uses a code once: the approval id it names. A used code or an unknown one is refused. */
  async use(codeHash: string): Promise<string | undefined> {
    const used = await this.store.patchRecord(typedKey(codeHash), { usedAt: String(this.now()) }, { ifMatch: { usedAt: '' } });
    if (!used) {
      const record = await this.store.getRecord(typedKey(codeHash));
      throw record ? approvalErrors.usedQr() : approvalErrors.wrongCode();
    }
    return used.approvalId || undefined;
  }

  /** Withdraws a code that was replaced (a new QR) or never became valid. */
  async remove(codeHash: string): Promise<void> {
    await this.store.deleteKeys([typedKey(codeHash)]);
  }
}
