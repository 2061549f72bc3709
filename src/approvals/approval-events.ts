import type { Store } from '../store/store.js';
import { type Approval, publicStatus, type PublicStatus } from './approval-record.js';
import { RecentEvents } from './recent-events.js';

const CHANNEL_PREFIX = 'approval-events:';
const channel = (id: string) => `${CHANNEL_PREFIX}${id}`;

export type ChangesSince = { known: false } | { known: true; status?: PublicStatus };

/**
 * An approval's status changes on the store's pub/sub, one channel per approval. Messages are
 * the public status itself (state and timings, no personal data), so listeners need not read
 * the store again; every instance also keeps the last minute of them (recent-events.ts).
 */
export class ApprovalEvents {
  readonly #recent: RecentEvents;

  constructor(
    private readonly store: Store,
    private readonly now: () => number = Date.now,
    clockSkewMs?: number,
  ) {
    this.#recent = new RecentEvents(store, CHANNEL_PREFIX, { now, ...(clockSkewMs === undefined ? {} : { marginMs: clockSkewMs }) });
  }

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

  /** Starts keeping the recent events `changesSince` answers from (it also starts on first use). */
  async listen(): Promise<void> {
    await this.#recent.start();
  }

  /**
   * What changed since a waiting page was rendered at `since` (ms, by the rendering instance's
   * clock), from this process's log of recent events and without a store read, when the log
   * can vouch for having every event since then: `{ known: true }` with the latest status if
   * there was a change, without one if nothing happened. `{ known: false }`: read the approval.
   */
  changesSince(id: string, since: number): ChangesSince {
    const found = this.#recent.since(channel(id), since);
    if (!found.known) return found;
    if (found.message === undefined) return { known: true };
    try {
      return { known: true, status: JSON.parse(found.message) as PublicStatus };
    } catch {
      return { known: false };
    }
  }
}
