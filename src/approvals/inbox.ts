import type { Store, Unsubscribe } from '../store/store.js';
import type { Approval } from './approval-record.js';
import { effectiveState } from './approval-record.js';

/**
 * A user's inbox: the requests addressed to them (CIBA, push sign-ins) that wait for one of
 * their devices. Each entry lives as long as its request; pages that show the inbox listen on
 * the user's channel and read it again when it changes.
 */
const inboxKey = (accountId: string) => `inbox:${accountId}`;
const inboxChannel = (accountId: string) => `inbox:${accountId}`;

export class Inbox {
  constructor(
    private readonly store: Store,
    private readonly read: (id: string) => Promise<Approval | undefined>,
    private readonly now: () => number = Date.now,
  ) {}

  async add(approval: Approval): Promise<void> {
    const seconds = Math.max(1, Math.ceil((approval.expiresAt - this.now()) / 1000));
    await this.store.addToIndex(inboxKey(approval.targetAccountId), approval.id, seconds);
    await this.changed(approval.targetAccountId);
  }

  /** The requests still waiting for a decision, newest first; finished ones leave the index. */
  async pending(accountId: string): Promise<Approval[]> {
    const out: Approval[] = [];
    for (const id of await this.store.indexMembers(inboxKey(accountId))) {
      const approval = await this.read(id);
      const state = approval ? effectiveState(approval, this.now()) : 'expired';
      if (approval && approval.targetAccountId === accountId && (state === 'waiting' || state === 'scanned')) out.push(approval);
      else await this.store.removeFromIndex(inboxKey(accountId), id);
    }
    return out.sort((a, b) => b.createdAt - a.createdAt);
  }

  changed(accountId: string): Promise<void> {
    return this.store.publish(inboxChannel(accountId), 'changed');
  }

  listen(accountId: string, listener: () => void): Promise<Unsubscribe> {
    return this.store.subscribe(inboxChannel(accountId), listener);
  }
}
