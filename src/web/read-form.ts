import type { Context } from 'koa';

import { QridError } from '../errors/qrid-error.js';
import { readBody } from './read-body.js';

/**
 * Reads a small urlencoded form body for one route. There is deliberately no global body
 * parser: oidc-provider reads its own request bodies.
 */
export async function readForm(ctx: Context, limitBytes = 8 * 1024): Promise<Record<string, string>> {
  if (!ctx.is('application/x-www-form-urlencoded')) {
    throw new QridError(415, 'unsupported_media_type', { params: { type: 'application/x-www-form-urlencoded' } });
  }
  const text = (await readBody(ctx, limitBytes, () => new QridError(413, 'payload_too_large'))).toString('utf8');
  const fields: Record<string, string> = {};
  for (const [name, value] of new URLSearchParams(text)) {
    if (!(name in fields)) fields[name] = value;
  }
  return fields;
}
