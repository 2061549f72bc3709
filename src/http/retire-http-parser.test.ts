import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { type AddressInfo, connect, type Socket } from 'node:net';
import { setFlagsFromString } from 'node:v8';

import { afterEach, describe, expect, it } from 'vitest';

import { retireHttpParser } from './retire-http-parser.js';
import { SERVER_LISTENERS } from './server-listeners.js';

/** A node:http server whose /events answers an event stream and retires its parser a tick later. */
interface Harness {
  server: Server;
  port: number;
  retired: boolean[];
  streams: ServerResponse[];
}

async function start(): Promise<Harness> {
  const harness: Harness = { server: createServer(), port: 0, retired: [], streams: [] };
  harness.server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    if (req.url === '/events') {
      if (req.headers['x-keep-alive'] === undefined) res.setHeader('Connection', 'close');
      res.writeHead(200, { 'Content-Type': 'text/event-stream' });
      res.write('data: first\n\n');
      harness.streams.push(res);
      setImmediate(() => harness.retired.push(retireHttpParser(req, res)));
      return;
    }
    if (req.url === '/upload') {
      // A long response to a request whose body has not all arrived.
      res.setHeader('Connection', 'close');
      res.writeHead(200);
      res.write('started');
      return;
    }
    if (req.url === '/sized') return; // answered by its test's own listener
    res.end(`answer to ${req.method} ${req.url}`);
  });
  await new Promise<void>((resolve) => harness.server.listen(0, '127.0.0.1', resolve));
  harness.port = (harness.server.address() as AddressInfo).port;
  return harness;
}

/** A raw client connection that records everything it receives and when it closes. */
function rawClient(port: number): { socket: Socket; received: () => string; closed: Promise<void> } {
  const socket = connect(port, '127.0.0.1');
  let text = '';
  socket.on('data', (chunk: Buffer) => (text += chunk.toString('latin1')));
  const closed = new Promise<void>((resolve) => socket.on('close', () => resolve()));
  return { socket, received: () => text, closed };
}

const until = async (condition: () => boolean, ms = 2000) => {
  const deadline = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
};

/** Opens /events on a raw connection and waits until the server has tried to retire its parser. */
async function openStream(h: Harness, extraHeaders = ''): Promise<ReturnType<typeof rawClient>> {
  const client = rawClient(h.port);
  const before = h.retired.length;
  client.socket.write(`GET /events HTTP/1.1\r\nHost: x\r\n${extraHeaders}\r\n`);
  await until(() => h.retired.length > before);
  return client;
}

const parserOf = (res: ServerResponse | undefined) => (res?.socket as (Socket & { parser?: unknown }) | null)?.parser;

let harness: Harness | undefined;
afterEach(async () => {
  harness?.server.closeAllConnections();
  await new Promise((resolve) => harness?.server.close(resolve));
  harness = undefined;
});

describe('retireHttpParser', () => {
  it('frees the parser of an event stream, which still delivers what is written and closes when it ends', async () => {
    harness = await start();
    const client = await openStream(harness);
    expect(harness.retired).toEqual([true]);
    const res = harness.streams[0] as ServerResponse;
    expect(parserOf(res)).toBeNull();

    res.write('data: second\n\n');
    await until(() => client.received().includes('data: second'));
    expect(client.received()).toMatch(/^HTTP\/1\.1 200 OK\r\n/);
    expect(client.received().toLowerCase()).toContain('connection: close');

    res.end();
    await client.closed;
  });

  it("keeps the socket's listener table a fast-mode object, with one data listener: its own", async () => {
    // V8's own answer to whether an object is a hash table; the flag only enables the syntax.
    setFlagsFromString('--allow-natives-syntax');
    const hasFastProperties = new Function('object', 'return %HasFastProperties(object)') as (object: object) => boolean;
    harness = await start();
    const client = await openStream(harness);
    const socket = (harness.streams[0] as ServerResponse).socket as Socket & { _events: object };
    try {
      expect(socket.listenerCount('data')).toBe(1);
      expect(hasFastProperties(socket._events)).toBe(true);
    } finally {
      client.socket.destroy(); // a retired connection is off the server's list: closeAllConnections() cannot end it
      await client.closed;
    }
  });

  it('closes the connection when the client sends anything after the request, and answers no second request', async () => {
    harness = await start();
    const client = await openStream(harness);
    client.socket.write('GET /smuggled HTTP/1.1\r\nHost: x\r\n\r\n');
    await client.closed;
    expect(client.received()).not.toContain('/smuggled');
    expect(harness.streams[0]?.destroyed).toBe(true);
  });

  it('leaves every other connection parsing normally, including after a retired one was abused', async () => {
    harness = await start();
    const streams: Array<ReturnType<typeof rawClient>> = [];
    for (let i = 0; i < 5; i += 1) streams.push(await openStream(harness));
    expect(harness.retired).toEqual([true, true, true, true, true]);
    (streams[0] as ReturnType<typeof rawClient>).socket.end('garbage\r\n\r\n');

    const keepAlive = rawClient(harness.port);
    for (let i = 0; i < 20; i += 1) keepAlive.socket.write(`GET /n${i} HTTP/1.1\r\nHost: x\r\n\r\n`);
    await until(() => keepAlive.received().includes('answer to GET /n19'));
    for (let i = 0; i < 20; i += 1) expect(keepAlive.received()).toContain(`answer to GET /n${i}`);
    keepAlive.socket.destroy();
    for (const s of streams) s.socket.destroy();
  });

  it('hands a keep-alive stream its connection back once the response ends: the next request on it is answered', async () => {
    harness = await start();
    const client = await openStream(harness, 'X-Keep-Alive: 1\r\n');
    expect(harness.retired).toEqual([true]);
    const res = harness.streams[0] as ServerResponse;
    const socket = res.socket as Socket;
    expect(parserOf(res)).toBeNull();
    // node:http's own listeners, by the names node gives them, and its data listener.
    const named = [...SERVER_LISTENERS, ['data', 'bound socketOnData'] as const];
    const count = () => named.map(([event, name]) => socket.listeners(event).filter((l) => l.name === name).length);
    expect(count()).toEqual([1, 1, 1, 1, 1, 1, 1, 0]);

    res.end('data: last\n\n');
    await until(() => client.received().endsWith('0\r\n\r\n'));
    expect(client.received().toLowerCase()).toContain('transfer-encoding: chunked');
    client.socket.write('GET /after HTTP/1.1\r\nHost: x\r\n\r\n');
    await until(() => client.received().includes('answer to GET /after'));
    // The same socket, with the server's listeners on it once each, not twice.
    expect((socket as Socket & { parser?: unknown }).parser).toBeTruthy();
    expect(count()).toEqual([1, 1, 1, 1, 1, 1, 1, 1]);
    expect(socket.listenerCount('data')).toBe(1);
    client.socket.destroy();
  });

  it('holds a next request that arrives before the response has finished, and answers it once it has', async () => {
    harness = await start();
    const client = await openStream(harness, 'X-Keep-Alive: 1\r\n');
    const res = harness.streams[0] as ServerResponse;
    // The client stops reading, so a large last write stays pending: the response has ended
    // but not finished when the next request arrives.
    client.socket.pause();
    res.end(`data: ${'x'.repeat(8 * 1024 * 1024)}\n\n`);
    expect(res.writableEnded).toBe(true);
    client.socket.write('GET /early HTTP/1.1\r\nHost: x\r\n\r\n');
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(res.writableFinished).toBe(false);
    expect(res.socket?.destroyed).toBe(false);
    client.socket.resume();
    await until(() => client.received().includes('answer to GET /early'), 10_000);
    client.socket.destroy();
  });

  it('does not retire a keep-alive response whose end is not framed (no chunked encoding)', async () => {
    harness = await start();
    let result: boolean | undefined;
    harness.server.prependListener('request', (req: IncomingMessage, res: ServerResponse) => {
      if (req.url !== '/sized') return;
      res.writeHead(200, { 'Content-Length': '100' });
      res.write('partial');
      setImmediate(() => (result = retireHttpParser(req, res)));
    });
    const client = rawClient(harness.port);
    client.socket.write('GET /sized HTTP/1.1\r\nHost: x\r\n\r\n');
    await until(() => result !== undefined);
    expect(result).toBe(false);
    client.socket.destroy();
  });

  it('refuses a request whose parser has moved on to a pipelined request, and a request with an unread body', async () => {
    harness = await start();
    const pipelined = rawClient(harness.port);
    pipelined.socket.write('GET /events HTTP/1.1\r\nHost: x\r\n\r\nGET /next HTTP/1.1\r\nHost: x\r\n\r\n');
    await until(() => harness?.retired.length === 1);
    expect(harness.retired).toEqual([false]);
    pipelined.socket.destroy();

    const server = harness.server;
    let bodyResult: boolean | undefined;
    server.prependListener('request', (req: IncomingMessage, res: ServerResponse) => {
      if (req.url === '/upload') setImmediate(() => (bodyResult = retireHttpParser(req, res)));
    });
    const upload = rawClient(harness.port);
    upload.socket.write('POST /upload HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\nabc');
    await until(() => bodyResult !== undefined);
    expect(bodyResult).toBe(false);
    upload.socket.destroy();
  });
});
