import type { Context } from 'koa';

import { QridError } from '../errors/qrid-error.js';
import { readBody } from './read-body.js';

/** Reads a small JSON body for one route (WebAuthn responses, the companion API). */
export async function readJson(ctx: Context, limitBytes = 16 * 1024): Promise<unknown> {
  if (!ctx.is('application/json')) {
    throw new QridError(415, 'unsupported_media_type', { params: { type: 'application/json' } });
  }
  const body = await readBody(ctx, limitBytes, () => new QridError(413, 'payload_too_large'));
  try {
    return JSON.parse(body.toString('utf8')) as unknown;
  } catch {
    throw new QridError(400, 'invalid_json');
  }
}
