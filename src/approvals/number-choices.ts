import { createHash } from 'node:crypto';

import type { Approval } from './approval-record.js';

/**
 * The three numbers the phone offers for number matching: the one on the computer and two
 * decoys, sorted so position says nothing. Derived from the approval, so reloading the page
 * shows the same three (a person cannot re-roll until the right one appears by luck).
 */
export function numberChoices(approval: Approval): number[] {
  const digest = createHash('sha256').update(`${approval.id}:${approval.handleHash}:${approval.matchNumber}`).digest();
  const choices = new Set([approval.matchNumber]);
  for (let i = 0; choices.size < 3; i += 1) choices.add(10 + (digest[i % digest.length]! + i * 7) % 90);
  return [...choices].sort((a, b) => a - b);
}
