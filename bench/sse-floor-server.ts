import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';

import Koa from 'koa';

/**
 * The floors for `stream-memory`: node:http alone (or, given `--koa`, inside a bare Koa app)
 * answering every `/…/events` with an event stream (the
 * same headers qrid sends, one event, nothing else held), so what qrid adds per stream can be
 * told from what any Node HTTP/1.1 connection costs, and what Koa's request handling costs.
 * `/metrics` reports the same memory gauges qrid's does; every other path answers 200.
 */
const HEADERS = {
  'Content-Security-Policy': "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; manifest-src 'self'; base-uri 'none'; frame-ancestors 'none'",
  'X-Frame-Options': 'DENY',
  'Referrer-Policy': 'no-referrer',
  'X-Content-Type-Options': 'nosniff',
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Resource-Policy': 'same-origin',
  'Permissions-Policy': 'camera=(self), microphone=(), geolocation=()',
  'Cache-Control': 'no-store',
  'X-Request-Id': '00000000-0000-4000-8000-000000000000',
  'Content-Type': 'text/event-stream; charset=utf-8',
  'X-Accel-Buffering': 'no',
};

let open = 0;
function handle(req: IncomingMessage, res: ServerResponse): void {
  if (req.url?.endsWith('/events')) {
    open += 1;
    req.socket.setTimeout(0);
    res.writeHead(200, HEADERS);
    res.write('retry: 2000\n\ndata: {"state":"waiting"}\n\n');
    res.on('close', () => (open -= 1));
    return;
  }
  res.statusCode = 200; // Koa starts every response at 404
  if (req.url === '/metrics') {
    const { rss, heapUsed, heapTotal, external } = process.memoryUsage();
    res.end(`qrid_process_resident_memory_bytes ${rss}\nqrid_nodejs_heap_size_used_bytes ${heapUsed}\nqrid_nodejs_heap_size_total_bytes ${heapTotal}\nqrid_nodejs_external_memory_bytes ${external}\nqrid_open_event_streams ${open}\n`);
    return;
  }
  res.end('{}');
}

const koa = new Koa();
koa.use((ctx) => {
  ctx.respond = false;
  handle(ctx.req, ctx.res);
});
const server = createServer(process.argv.includes('--koa') ? koa.callback() : handle);
server.keepAliveTimeout = 65_000;
server.listen(Number(process.env.PORT), '127.0.0.1');
