import type { Context } from 'koa';

import { QridError } from '../errors/qrid-error.js';

/**
 * Reads a small urlencoded form body for one route. There is deliberately no global body
 * parser: oidc-provider reads its own request bodies.
 */
export async function readForm(ctx: Context, limitBytes = 8 * 1024): Promise<Record<string, string>> {
  if (!ctx.is('application/x-www-form-urlencoded')) {
    throw new QridError(415, 'unsupported_media_type', 'Send this form as application/x-www-form-urlencoded.');
  }
  const declared = Number(ctx.get('Content-Length') || '0');
  if (declared > limitBytes) throw new QridError(413, 'payload_too_large', 'The form is too large.');
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of ctx.req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > limitBytes) throw new QridError(413, 'payload_too_large', 'The form is too large.');
    chunks.push(chunk);
  }
  const text = Buffer.concat(chunks).toString('utf8');
  const fields: Record<string, string> = {};
  for (const [name, value] of new URLSearchParams(text)) {
    if (!(name in fields)) fields[name] = value;
  }
  return fields;
}
