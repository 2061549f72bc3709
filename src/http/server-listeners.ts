import type { Socket } from 'node:net';

/**
 * The listeners node:http's server puts on a connection's socket when it accepts it, by event,
 * named as node names them (the bound ones carry that connection's parser and state). Handing
 * a connection back to the server (retire-http-parser.ts) runs that set-up again, so the old
 * set must come off first or both would answer every event. Not a public API: if any one is
 * not found, the connection is not one this can hand back.
 */
export const SERVER_LISTENERS: ReadonlyArray<readonly [event: string, name: string]> = [
  ['end', 'bound socketOnEnd'],
  ['close', 'bound socketOnClose'],
  ['drain', 'bound socketOnDrain'],
  ['error', 'socketOnError'],
  ['timeout', 'socketOnTimeout'],
  ['resume', 'onSocketResume'],
  ['pause', 'onSocketPause'],
];

export interface ServerListeners {
  /** Takes the server's listeners (found when this was made) off the socket. */
  remove(): void;
}

/** The server's own listeners on this socket, or undefined if one of them is not there. */
export function serverListenersOf(socket: Socket): ServerListeners | undefined {
  const found: Array<readonly [string, (...args: unknown[]) => void]> = [];
  for (const [event, name] of SERVER_LISTENERS) {
    const listener = (socket.listeners(event) as ((...args: unknown[]) => void)[]).find((l) => l.name === name);
    if (!listener) return undefined;
    found.push([event, listener]);
  }
  return {
    remove() {
      for (const [event, listener] of found) socket.removeListener(event, listener);
    },
  };
}
