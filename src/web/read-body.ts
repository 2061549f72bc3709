import type { Context } from 'koa';

import type { QridError } from '../errors/qrid-error.js';

/**
 * A small request body, whole, or `tooLarge()` as soon as it is declared or found to be over
 * `limitBytes` (nothing more is kept). For the few routes that read a form or JSON themselves
 * (there is no global body parser: oidc-provider reads its own). readForm and readJson share
 * it, so both refuse an oversized body the same way, declared or not.
 */
export function readBody(ctx: Context, limitBytes: number, tooLarge: () => QridError): Promise<Buffer> {
  if (Number(ctx.get('Content-Length') || '0') > limitBytes) return Promise.reject(tooLarge());
  const req = ctx.req;
  if (req.readableEnded) return Promise.resolve(Buffer.alloc(0));
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const settle = (error?: Error) => {
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('error', settle);
      req.off('close', onClose);
      if (error) reject(error);
      else resolve(Buffer.concat(chunks, size));
    };
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > limitBytes) settle(tooLarge());
      else chunks.push(chunk);
    };
    const onEnd = () => settle();
    const onClose = () => settle(new Error('the request ended before its body was read'));
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('error', settle);
    req.on('close', onClose);
  });
}
