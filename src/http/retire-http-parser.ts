import type { IncomingMessage, ServerResponse } from 'node:http';

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

type ParsedSocket = IncomingMessage['socket'] & { parser?: unknown };

function isConnectionParser(value: unknown): value is ConnectionParser {
  const parser = value as Partial<ConnectionParser> | null | undefined;
  return typeof parser?.unconsume === 'function' && typeof parser.remove === 'function' && typeof parser.close === 'function';
}

/**
 * Frees the HTTP/1.1 parser of a connection that will carry nothing more than the one long
 * response it is sending (an event stream): about 7 KB of native memory per connection, which
 * is most of what a waiting page costs (docs/benchmarks.md, "Memory per stream").
 *
 * What it enforces, in the order node:http itself retires a parser when a connection is
 * upgraded:
 * - The response's head must be sent and say `Connection: close` (set with `setHeader`), so
 *   node ends the connection with the response and never waits for a next request no parser
 *   could read.
 * - Only the request the parser is on is retired: a parser already holding a pipelined request
 *   is left alone.
 * - Anything the client sends from now on closes the connection (an event-stream client sends
 *   nothing); the parser is closed for good, never handed back to node's pool, because the
 *   server's own socket listeners still hold it.
 *
 * Call it from a later macrotask than the request's own (setImmediate): a parser may not be
 * closed while it is still parsing, and a route's microtasks can run inside its callback.
 * Returns whether the parser was retired; false changes nothing.
 */
export function retireHttpParser(req: IncomingMessage, res: ServerResponse): boolean {
  const socket = req.socket as ParsedSocket;
  const parser = socket.parser;
  if (socket.destroyed || !isConnectionParser(parser) || parser.incoming !== req) return false;
  if (req.complete !== true || !res.headersSent || String(res.getHeader('Connection')).toLowerCase() !== 'close') return false;

  if (parser._consumed) {
    parser.unconsume();
    parser._consumed = false;
  }
  parser.remove(); // out of the server's connection list (header and request timeouts)
  parser.close();
  parser.incoming = null;
  socket.parser = null;
  (req as IncomingMessage & { parser?: unknown }).parser = null;

  // The server's data listener would hand bytes to the closed parser, which ignores them;
  // closing the connection is the answer to a client that talks over an event stream.
  // Ours goes on before the server's come off: removing an event's only listener deletes the
  // event from the socket's listener table, which turns that table (node keeps it a fast-mode
  // object) into a hash table of about 800 bytes, held for the stream's whole life.
  const serverListeners = socket.listeners('data') as ((...args: unknown[]) => void)[];
  socket.on('data', () => socket.destroy());
  for (const listener of serverListeners) socket.removeListener('data', listener);
  return true;
}
