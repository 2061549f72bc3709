import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

import Koa from 'koa';
import { afterEach, describe, expect, it } from 'vitest';

import { releaseKoaContext } from './release-koa-context.js';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

/** A Koa app whose /stream takes its response over and keeps it open, like qrid's event stream. */
async function start(release: boolean) {
  const contexts: WeakRef<object>[] = [];
  const released: boolean[] = [];
  const streams: ServerResponse[] = [];
  const app = new Koa();
  app.use(async (ctx) => {
    contexts.push(new WeakRef(ctx));
    ctx.respond = false;
    ctx.res.writeHead(200, { 'Content-Type': 'text/event-stream' });
    ctx.res.write('data: first\n\n');
    streams.push(ctx.res);
    if (release) released.push(releaseKoaContext(ctx.res));
  });
  const server = createServer(app.callback());
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, base: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, contexts, released, streams };
}

/** Opens the stream and reads its first event; the connection stays open. */
async function open(base: string, controller: AbortController): Promise<ReadableStreamDefaultReader<Uint8Array>> {
  const response = await fetch(`${base}/stream`, { signal: controller.signal });
  const reader = (response.body as ReadableStream<Uint8Array>).getReader();
  await reader.read();
  return reader;
}

async function collected(ref: WeakRef<object>): Promise<boolean> {
  for (let i = 0; i < 5; i += 1) {
    await new Promise((resolve) => setImmediate(resolve));
    gc();
    if (ref.deref() === undefined) return true;
  }
  return false;
}

let server: Server | undefined;
const controllers: AbortController[] = [];
afterEach(async () => {
  for (const controller of controllers.splice(0)) controller.abort();
  const running = server;
  server = undefined;
  if (!running) return;
  running.closeAllConnections();
  await new Promise((resolve) => running.close(resolve));
});

describe('releaseKoaContext', () => {
  it("lets Koa's context of an open stream be collected, and the stream still writes and ends", async () => {
    const app = await start(true);
    server = app.server;
    const controller = new AbortController();
    controllers.push(controller);
    const reader = await open(app.base, controller);
    expect(app.released).toEqual([true]);
    expect(await collected(app.contexts[0] as WeakRef<object>)).toBe(true);

    const res = app.streams[0] as ServerResponse;
    res.end('data: last\n\n');
    let text = '';
    for (let chunk = await reader.read(); !chunk.done; chunk = await reader.read()) text += new TextDecoder().decode(chunk.value);
    expect(text).toBe('data: last\n\n');
  });

  it('is what frees it: without it, an open stream keeps its context', async () => {
    const app = await start(false);
    server = app.server;
    const controller = new AbortController();
    controllers.push(controller);
    await open(app.base, controller);
    expect(await collected(app.contexts[0] as WeakRef<object>)).toBe(false);
  });

  it('changes nothing on a response that on-finished does not watch', () => {
    const res = { statusCode: 200 } as ServerResponse;
    expect(releaseKoaContext(res)).toBe(false);
  });
});
