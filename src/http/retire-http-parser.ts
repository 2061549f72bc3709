import type { IncomingMessage, ServerResponse } from 'node:http';
import { Server as HttpServer } from 'node:http';

import { serverListenersOf } from './server-listeners.js';

/**
 * The slice of node:http's per-connection parser (an `HTTPParser` from the http_parser
 * binding, on `socket.parser`) that retiring it touches. Not a public API: every member is
 * checked before use, and a connection whose parser does not look like this is left alone.
 */
interface ConnectionParser {
  incoming: IncomingMessage | null;
  _consumed?: boolean;
  unconsume(): void;
  remove(): void;
  close(): void;
}

type ParsedSocket = IncomingMessage['socket'] & {
  parser?: unknown;
  server?: unknown;
  encrypted?: boolean;
  _handle?: { _consumed?: boolean } | null;
};

function isConnectionParser(value: unknown): value is ConnectionParser {
  const parser = value as Partial<ConnectionParser> | null | undefined;
  return typeof parser?.unconsume === 'function' && typeof parser.remove === 'function' && typeof parser.close === 'function';
}

/**
 * Frees the HTTP/1.1 parser of a connection while it carries one long response (an event
 * stream): about 7 KB of native memory per connection, which is most of what a waiting page
 * costs (docs/benchmarks.md, "Memory per stream").
 *
 * What it enforces, in the order node:http itself retires a parser when a connection is
 * upgraded:
 * - The response's head must be sent. Either it says the connection ends with it
 *   (`Connection: close`, or a client that did not ask for keep-alive), or its body is framed
 *   (chunked) and the connection can carry more: then, once the response has finished, the
 *   connection gets a fresh parser through the server's own `connection` handling (what
 *   node documents for handing it a socket), and a next request on it is served as on any
 *   keep-alive connection. A connection that cannot be handed back (TLS, a server or socket
 *   not shaped as expected) is not retired; one that cannot be handed back when the response
 *   finishes after all is closed. Never is a connection left open without a parser.
 * - Only the request the parser is on is retired: a parser already holding a pipelined request
 *   is left alone.
 * - Anything the client sends while the response runs closes the connection (an event-stream
 *   client sends nothing). What it sends once the response has ended (its next request, which
 *   may arrive before node reports the response finished) waits for the fresh parser.
 * - The retired parser is closed for good, never handed back to node's pool, because the
 *   server's old socket listeners hold it until the connection is handed back.
 *
 * Call it from a later macrotask than the request's own (setImmediate): a parser may not be
 * closed while it is still parsing, and a route's microtasks can run inside its callback.
 * Returns whether the parser was retired; false changes nothing.
 */
export function retireHttpParser(req: IncomingMessage, res: ServerResponse): boolean {
  const socket = req.socket as ParsedSocket;
  const parser = socket.parser;
  if (socket.destroyed || !isConnectionParser(parser) || parser.incoming !== req) return false;
  if (req.complete !== true || !res.headersSent) return false;
  const keepsConnection = String(res.getHeader('Connection')).toLowerCase() !== 'close' && res.shouldKeepAlive !== false;
  const server = socket.server instanceof HttpServer ? socket.server : undefined;
  const handBack = keepsConnection && server && res.chunkedEncoding && !socket.encrypted ? serverListenersOf(socket) : undefined;
  if (keepsConnection && !handBack) return false;

  if (parser._consumed) {
    parser.unconsume();
    parser._consumed = false;
  }
  parser.remove(); // out of the server's connection list (header and request timeouts)
  parser.close();
  parser.incoming = null;
  socket.parser = null;
  (req as IncomingMessage & { parser?: unknown }).parser = null;

  // The server's data listener would hand bytes to the closed parser, which ignores them.
  // Ours goes on before the server's come off: removing an event's only listener deletes the
  // event from the socket's listener table, which turns that table (node keeps it a fast-mode
  // object) into a hash table of about 800 bytes, held for the stream's whole life.
  const serverData = socket.listeners('data') as ((...args: unknown[]) => void)[];
  const guard = (chunk: Buffer) => {
    if (handBack && res.writableEnded && !socket.destroyed) {
      // The response is over: this is the client's next request, for the parser to come.
      socket.pause();
      socket.unshift(chunk);
      return;
    }
    socket.destroy();
  };
  socket.on('data', guard);
  for (const listener of serverData) socket.removeListener('data', listener);

  if (handBack && server) {
    res.once('finish', () => {
      if (socket.destroyed || !socket.writable || socket.readableEnded) {
        socket.destroy();
        return;
      }
      if (socket._handle) socket._handle._consumed = false; // so the fresh parser reads the socket natively again
      server.emit('connection', socket);
      // The old listeners come off after the new ones are on, so no event's table entry is deleted.
      socket.removeListener('data', guard);
      handBack.remove();
      socket.resume(); // what came early (held by the guard) goes to the fresh parser
    });
  }
  return true;
}
