import { describe, expect, it } from 'vitest';

import { MemoryStore } from '../store/memory-store.js';
import { CLOCK_MARGIN_MS, RecentEvents, RETENTION_MS } from './recent-events.js';

const T0 = 1_000_000;
const flush = () => new Promise((resolve) => setImmediate(resolve));

/** A memory store (delivering since T0) and a log on the same fake clock, listening. */
async function setUp(marginMs = CLOCK_MARGIN_MS) {
  const clock = { now: T0 };
  const store = new MemoryStore({ now: () => clock.now });
  const log = new RecentEvents(store, 'events:', { now: () => clock.now, marginMs });
  await log.start();
  return { clock, store, log };
}

describe('RecentEvents', () => {
  it('answers a page rendered after it could vouch: the latest event since, or nothing', async () => {
    const { clock, store, log } = await setUp();
    clock.now = T0 + 30_000;
    const since = clock.now;
    expect(log.since('events:a', since)).toEqual({ known: true });
    await store.publish('events:a', 'scanned');
    await store.publish('events:a', 'approved');
    await store.publish('other:a', 'not an event');
    await flush();
    clock.now += 1_000;
    expect(log.since('events:a', since)).toEqual({ known: true, message: 'approved' });
    expect(log.since('events:b', since)).toEqual({ known: true });
  });

  it('leaves out events from before the page, beyond the clock margin', async () => {
    const { clock, store, log } = await setUp();
    clock.now = T0 + 20_000;
    await store.publish('events:a', 'denied');
    await flush();
    clock.now += CLOCK_MARGIN_MS + 1;
    expect(log.since('events:a', clock.now)).toEqual({ known: true });
    // Within the margin it is kept: by another instance's clock it may come after the page.
    expect(log.since('events:a', clock.now - 1)).toEqual({ known: true, message: 'denied' });
  });

  it('cannot vouch for a page rendered before it was listening and delivering, plus the margin', async () => {
    const { clock, log } = await setUp();
    clock.now = T0 + CLOCK_MARGIN_MS - 1;
    expect(log.since('events:a', clock.now)).toEqual({ known: false });
    clock.now = T0 + CLOCK_MARGIN_MS;
    expect(log.since('events:a', clock.now)).toEqual({ known: true });

    const unstarted = new RecentEvents(new MemoryStore({ now: () => clock.now }), 'events:', { now: () => clock.now });
    expect(unstarted.since('events:a', T0)).toEqual({ known: false });
  });

  it('cannot vouch while the store cannot (pub/sub connection lost), nor for a page from before it came back', async () => {
    const clock = { now: T0 };
    let delivering: number | undefined = T0;
    /** As a Redis store whose pub/sub connection drops and comes back. */
    class DroppingStore extends MemoryStore {
      override deliveringSince() {
        return delivering;
      }
    }
    const store = new DroppingStore({ now: () => clock.now });
    const log = new RecentEvents(store, 'events:', { now: () => clock.now, marginMs: 0 });
    await log.start();
    clock.now = T0 + 5_000;
    expect(log.since('events:a', clock.now)).toEqual({ known: true });
    delivering = undefined;
    expect(log.since('events:a', clock.now)).toEqual({ known: false });
    delivering = T0 + 6_000;
    clock.now = T0 + 7_000;
    expect(log.since('events:a', T0 + 5_000)).toEqual({ known: false });
    expect(log.since('events:a', T0 + 6_000)).toEqual({ known: true });
  });

  it('reads the store for a page too old for what it keeps, or from the future, or without a time', async () => {
    const { clock, log } = await setUp();
    clock.now = T0 + 100_000;
    const oldest = clock.now - (RETENTION_MS - 2 * CLOCK_MARGIN_MS);
    expect(log.since('events:a', oldest)).toEqual({ known: true });
    expect(log.since('events:a', oldest - 1)).toEqual({ known: false });
    expect(log.since('events:a', clock.now + CLOCK_MARGIN_MS)).toEqual({ known: true });
    expect(log.since('events:a', clock.now + CLOCK_MARGIN_MS + 1)).toEqual({ known: false });
    expect(log.since('events:a', Number.NaN)).toEqual({ known: false });
  });

  it('forgets events after a minute', async () => {
    const { clock, store, log } = await setUp(0);
    await store.publish('events:a', 'scanned');
    await flush();
    clock.now += 1_000;
    await store.publish('events:b', 'scanned');
    await flush();
    expect(log.size).toBe(2);
    clock.now = T0 + RETENTION_MS + 500;
    await store.publish('events:c', 'scanned');
    await flush();
    expect(log.size).toBe(2);
    expect(log.since('events:a', T0 + 40_000)).toEqual({ known: true });
    expect(log.since('events:b', T0 + 1_000)).toEqual({ known: true, message: 'scanned' });
  });

  it('refuses a margin the log could not cover', () => {
    expect(() => new RecentEvents(new MemoryStore(), 'events:', { marginMs: RETENTION_MS / 3 + 1 })).toThrow(RangeError);
  });
});
