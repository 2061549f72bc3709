import type { Context, Next } from 'koa';

import { QridError } from '../errors/qrid-error.js';
import { normalizeIp } from '../http/describe-client.js';
import type { Services } from '../services.js';

const GUESS_FAILURES = new Set(['qr_unknown', 'qr_expired', 'qr_used']);

/**
 * In front of every /q/<handle> route: an address that keeps naming handles that do not work
 * (guessing, or replaying) is refused with 429 after a few failures. Valid handles cost
 * nothing, so a person rescanning is never locked out by their own successes.
 */
export function guessGuard(services: Services) {
  return async function guardGuesses(ctx: Context, next: Next): Promise<void> {
    const ip = normalizeIp(ctx.ip);
    await services.limiter.assertBudget('qr-failures', ip, services.config.rate_limits.qr_failures_per_ip);
    try {
      await next();
    } catch (error) {
      if (error instanceof QridError && GUESS_FAILURES.has(error.code)) await services.limiter.recordFailure('qr-failures', ip);
      throw error;
    }
  };
}
