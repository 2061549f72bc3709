import { describe, expect, it } from 'vitest';

import { cutAfter, type FlowTarget, inBatches, median, stepNames } from './flows.js';

const target = { browserBase: '', phoneBase: '', issuer: '' } as FlowTarget;

/** A flow of three steps that records which it reached and what cleaned up after it. */
function threeSteps(log: string[]) {
  return async (t: FlowTarget): Promise<number> => {
    try {
      for (const step of ['one', 'two', 'three']) {
        log.push(step);
        await t.mark?.(step);
      }
      return 42;
    } finally {
      log.push('cleanup');
    }
  };
}

describe('stepNames', () => {
  it("lists a flow's steps in order", async () => {
    expect(await stepNames(threeSteps([]), target)).toEqual(['one', 'two', 'three']);
  });
});

describe('cutAfter', () => {
  it('ends the flow after its first n steps, through its own cleanup, and reports no failure', async () => {
    const log: string[] = [];
    expect(await cutAfter(threeSteps(log), 2)(target)).toBe(0);
    expect(log).toEqual(['one', 'two', 'cleanup']);
  });

  it('still calls the target’s own mark for each step it runs', async () => {
    const marked: string[] = [];
    await cutAfter(threeSteps([]), 1)({ ...target, mark: async (step) => void marked.push(step) });
    expect(marked).toEqual(['one']);
  });

  it('passes a real failure on', async () => {
    const failing = async (t: FlowTarget): Promise<number> => {
      await t.mark?.('one');
      throw new Error('approval answered 500');
    };
    await expect(cutAfter(failing, 2)(target)).rejects.toThrow('approval answered 500');
  });
});

describe('inBatches', () => {
  it('runs every index once, no more than `size` at a time, and returns the results in order', async () => {
    let running = 0;
    let most = 0;
    const results = await inBatches(7, 3, async (i) => {
      running += 1;
      most = Math.max(most, running);
      await new Promise((resolve) => setTimeout(resolve, 7 - i));
      running -= 1;
      return i * 10;
    });
    expect(results).toEqual([0, 10, 20, 30, 40, 50, 60]);
    expect(most).toBe(3);
  });
});

describe('median', () => {
  it('takes the middle of an odd count, whatever the order, so one outlier does not move it', () => {
    expect(median([11.8, 4.2, 11.3])).toBe(11.3);
    expect(median([6.4, 6.5, 60])).toBe(6.5);
  });

  it('averages the two middle values of an even count', () => {
    expect(median([4, 1, 3, 2])).toBe(2.5);
  });

  it('refuses an empty list instead of answering NaN', () => {
    expect(() => median([])).toThrow(RangeError);
  });
});
