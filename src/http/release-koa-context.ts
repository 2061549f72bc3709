import type { ServerResponse } from 'node:http';

/**
 * What the `on-finished` package (which Koa uses) leaves on a response: a listener whose
 * `queue` holds the callbacks to run when the response finishes. Not a public API: checked
 * before use, and a response that does not look like this is left alone.
 */
type WatchedResponse = ServerResponse & { __onFinished?: { queue?: unknown } };

/**
 * For a route that has taken a response over from Koa (`ctx.respond = false`) and keeps it
 * open for minutes (an event stream): lets go of Koa's context for it.
 *
 * Koa registers an error callback with on-finished for every request, and that callback
 * closes over the request's context: the context, its request and response objects, cookies,
 * state, router matches and parsed query stay alive until the response finishes, about 1 KB
 * per waiting page (docs/benchmarks.md). Emptying the queue drops that callback. What it
 * would have done for a response whose head is sent is report a socket error to the app's
 * error log; a waiting page's socket error is its browser going away, which the stream
 * handles itself through the response's `close` event.
 *
 * Returns whether there was anything to release.
 */
export function releaseKoaContext(res: ServerResponse): boolean {
  const queue = (res as WatchedResponse).__onFinished?.queue;
  if (!Array.isArray(queue) || queue.length === 0) return false;
  queue.length = 0;
  return true;
}
