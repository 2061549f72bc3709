import type { Store } from '../store/store.js';
import { type Approval, publicStatus, type PublicStatus } from './approval-record.js';

const channel = (id: string) => `approval-events:${id}`;

/**
 * An approval's status changes on the store's pub/sub, one channel per approval. Messages are
 * the public status itself (state and timings, no personal data), so listeners need not read
 * the store again. Pub/sub delivers at most once: whoever follows an approval subscribes first
 * and then reads its current state (event-stream.ts), so nothing falls between the two.
 */
export class ApprovalEvents {
  constructor(
    private readonly store: Store,
    private readonly now: () => number = Date.now,
  ) {}

  async publish(approval: Approval): Promise<void> {
    await this.store.publish(channel(approval.id), JSON.stringify(publicStatus(approval, this.now())));
  }

  /** Live status changes for one approval (from any instance sharing the store). */
  async subscribe(id: string, listener: (status: PublicStatus) => void): Promise<() => Promise<void>> {
    return this.store.subscribe(channel(id), (message) => {
      try {
        listener(JSON.parse(message) as PublicStatus);
      } catch {
        // A malformed message on the channel is not ours to act on.
      }
    });
  }
}
