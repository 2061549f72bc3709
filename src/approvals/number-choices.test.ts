import { describe, expect, it } from 'vitest';

import type { Approval } from './approval-record.js';
import { numberChoices } from './number-choices.js';

describe('numberChoices', () => {
  it('offers the right number and two different decoys, the same on every call', () => {
    for (let n = 10; n < 100; n += 1) {
      const approval = { id: `a${n}`, handleHash: `h${n}`, matchNumber: n } as Approval;
      const choices = numberChoices(approval);
      expect(choices).toHaveLength(3);
      expect(new Set(choices).size).toBe(3);
      expect(choices).toContain(n);
      expect(choices.every((c) => c >= 10 && c <= 99)).toBe(true);
      expect(numberChoices(approval)).toEqual(choices);
    }
  });
});
