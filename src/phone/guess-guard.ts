import type { Context, Next } from 'koa';

import type { PrefetchedApproval } from '../approvals/approval-engine.js';
import { QridError } from '../errors/qrid-error.js';
import type { Services } from '../services.js';
import { clientAddress } from '../http/client-address.js';

const GUESS_FAILURES = new Set(['qr_unknown', 'qr_expired', 'qr_used']);
const PREFETCHED = Symbol('qrid.prefetchedApproval');

type GuardedState = { [PREFETCHED]?: PrefetchedApproval };

/**
 * In front of every /q/<handle> route: an address that keeps naming handles that do not work
 * (guessing, or replaying) is refused with 429 after a few failures. Valid handles cost
 * nothing, so a person rescanning is never locked out by their own successes.
 *
 * The budget is read in the same round trip as the approval the handle names, which the
 * route then takes with `prefetchedApproval` instead of reading it again.
 */
export function guessGuard(services: Services) {
  return async function guardGuesses(ctx: Context, next: Next): Promise<void> {
    const ip = { address: clientAddress(ctx) };
    const limit = services.config.rate_limits.qr_failures_per_ip;
    const recordKeys = services.approvals.handleRecordKeys(String(ctx.params.handle ?? ''));
    if (recordKeys) {
      const records = await services.limiter.assertBudgetReading('qr-failures', ip, limit, recordKeys);
      (ctx.state as GuardedState)[PREFETCHED] = { records };
    } else {
      await services.limiter.assertBudget('qr-failures', ip, limit);
    }
    try {
      await next();
    } catch (error) {
      if (error instanceof QridError && GUESS_FAILURES.has(error.code)) await services.limiter.recordFailure('qr-failures', ip);
      throw error;
    }
  };
}

/**
 * The approval the guard read for this request, once: a second look-up in the same request
 * (after a write) reads the store again.
 */
export function prefetchedApproval(ctx: Context): PrefetchedApproval | undefined {
  const state = ctx.state as GuardedState;
  const prefetched = state[PREFETCHED];
  delete state[PREFETCHED];
  return prefetched;
}
