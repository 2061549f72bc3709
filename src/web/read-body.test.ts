import { request as httpRequest, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

import Koa from 'koa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { QridError } from '../errors/qrid-error.js';
import { readForm } from './read-form.js';
import { readJson } from './read-json.js';

/** A server whose /form and /json routes answer with what readForm / readJson made of the body, or the QridError. */
let server: Server;
let port: number;

beforeAll(async () => {
  const app = new Koa();
  app.use(async (ctx) => {
    try {
      ctx.body = { read: ctx.path === '/form' ? await readForm(ctx, 64) : await readJson(ctx, 64) };
    } catch (error) {
      if (!(error instanceof QridError)) throw error;
      ctx.status = error.status;
      ctx.body = { code: error.code };
    }
  });
  server = app.listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  port = (server.address() as AddressInfo).port;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

/** Sends `chunks` one write at a time; without a Content-Length the body goes chunked, so its size is found only while reading. */
function send(path: string, type: string, chunks: string[], declareLength = true): Promise<{ status: number; body: unknown }> {
  return new Promise((resolve, reject) => {
    const body = chunks.join('');
    const headers: Record<string, string | number> = { 'Content-Type': type };
    if (declareLength) headers['Content-Length'] = Buffer.byteLength(body);
    const req = httpRequest({ host: '127.0.0.1', port, path, method: 'POST', headers }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (text += c));
      res.on('end', () => resolve({ status: res.statusCode as number, body: JSON.parse(text) as unknown }));
    });
    req.on('error', reject);
    for (const chunk of chunks) req.write(chunk);
    req.end();
  });
}

describe('readForm and readJson', () => {
  it('read a whole form, sent in several writes, keeping the first of repeated fields and any UTF-8', async () => {
    const res = await send('/form', 'application/x-www-form-urlencoded', ['csrf=abc&dec', 'ision=approve&csrf=other&name=%C3%A9%E2%98%83'], false);
    expect(res).toEqual({ status: 200, body: { read: { csrf: 'abc', decision: 'approve', name: 'é☃' } } });
  });

  it('read JSON, and refuse what is not JSON with a 400', async () => {
    expect(await send('/json', 'application/json', ['{"a":', '[1,2]}'])).toEqual({ status: 200, body: { read: { a: [1, 2] } } });
    expect(await send('/json', 'application/json', ['{"a":'])).toEqual({ status: 400, body: { code: 'invalid_json' } });
  });

  it('refuse a body declared over the limit, and one found over it while reading (chunked), with a 413', async () => {
    const big = `x=${'a'.repeat(100)}`;
    expect(await send('/form', 'application/x-www-form-urlencoded', [big])).toEqual({ status: 413, body: { code: 'payload_too_large' } });
    expect(await send('/form', 'application/x-www-form-urlencoded', [big.slice(0, 40), big.slice(40)], false)).toEqual({ status: 413, body: { code: 'payload_too_large' } });
    expect(await send('/json', 'application/json', [`"${'b'.repeat(40)}`, `${'b'.repeat(40)}"`], false)).toEqual({ status: 413, body: { code: 'payload_too_large' } });
  });

  it('refuse another content type with a 415 and read an empty body as empty', async () => {
    expect(await send('/form', 'text/plain', ['a=1'])).toEqual({ status: 415, body: { code: 'unsupported_media_type' } });
    expect(await send('/json', 'application/x-www-form-urlencoded', ['{}'])).toEqual({ status: 415, body: { code: 'unsupported_media_type' } });
    expect(await send('/form', 'application/x-www-form-urlencoded', [])).toEqual({ status: 200, body: { read: {} } });
  });
});
