import type { Context } from 'koa';

import { QridError } from '../errors/qrid-error.js';

/** Reads a small JSON body for one route (WebAuthn responses, the companion API). */
export async function readJson(ctx: Context, limitBytes = 16 * 1024): Promise<unknown> {
  if (!ctx.is('application/json')) {
    throw new QridError(415, 'unsupported_media_type', 'Send this request as application/json.');
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of ctx.req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > limitBytes) throw new QridError(413, 'payload_too_large', 'The request body is too large.');
    chunks.push(chunk);
  }
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8')) as unknown;
  } catch {
    throw new QridError(400, 'invalid_json', 'The request body is not valid JSON.');
  }
}
