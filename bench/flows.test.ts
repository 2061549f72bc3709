import { describe, expect, it } from 'vitest';

import { cutAfter, type FlowTarget, stepNames } from './flows.js';

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
