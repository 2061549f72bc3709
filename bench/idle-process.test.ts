import { describe, expect, it } from 'vitest';

import { startIdleProcess, TICK_MS } from './idle-process.js';

describe('startIdleProcess', () => {
  it("reports its longest gap between ticks, which can be no shorter than about a tick", async () => {
    const idle = startIdleProcess();
    try {
      await new Promise((resolve) => setTimeout(resolve, 200));
      const first = await idle.longestTick();
      await new Promise((resolve) => setTimeout(resolve, 100));
      const second = await idle.longestTick();
      for (const gap of [first, second]) {
        expect(Number.isFinite(gap)).toBe(true);
        expect(gap).toBeGreaterThan(TICK_MS / 2);
      }
    } finally {
      idle.stop();
    }
  });

  it('refuses a reading it was asked for when it stopped', async () => {
    const idle = startIdleProcess();
    await idle.longestTick();
    const reading = idle.longestTick();
    idle.stop();
    await expect(reading).rejects.toThrow(/idle process was stopped/);
  });

  it('refuses a reading once stopped', async () => {
    const idle = startIdleProcess();
    await idle.longestTick();
    idle.stop();
    await expect(idle.longestTick()).rejects.toThrow(/idle process was stopped/);
  });
});
