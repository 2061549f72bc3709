import type { Context } from 'koa';

import type { ApprovalState, PublicStatus } from '../approvals/approval-record.js';
import { releaseKoaContext } from '../http/release-koa-context.js';
import { retireHttpParser } from '../http/retire-http-parser.js';
import { DOCUMENT_ONLY_HEADERS } from '../http/security-headers.js';
import type { Services } from '../services.js';
import { requireInteractionCookie } from './load-interaction.js';

const LONG_POLL_MS = 25_000;
const FINAL: ReadonlySet<ApprovalState> = new Set(['approved', 'denied', 'expired']);

/**
 * GET /interaction/:uid/events[?since=<ms>] — Server-Sent Events with the approval's state.
 * Events carry the state and timings only: no name, email or other personal data.
 *
 * The first event catches the page up. `since` is when the page read the state it shows (its
 * `data-events-since`): if this instance's log of recent events can vouch for everything since
 * then, the stream sends the latest change from it, or nothing when there was none, without
 * reading the store (one command fewer per login). Without `since`, for an old page, or when
 * the log cannot vouch (just started, pub/sub connection lost), the first event is the current
 * state read from the store, so a page that reconnects (to any instance) catches up at once.
 */
export function eventStream(services: Services) {
  return async function streamEvents(ctx: Context): Promise<void> {
    const uid = requireInteractionCookie(services, ctx);
    const since = sinceParam(ctx.query.since);
    // Subscribed before catching up, so no change can fall between the two; anything published
    // meanwhile is held until the catch-up has gone out first.
    let latest: PublicStatus | undefined;
    let deliver: (status: PublicStatus) => void = (status) => void (latest = status);
    const unsubscribe = await services.approvals.events.subscribe(uid, (status) => deliver(status));
    let first: PublicStatus | undefined;
    const caught = since === undefined ? ({ known: false } as const) : services.approvals.events.changesSince(uid, since);
    if (caught.known) first = caught.status;
    else {
      try {
        first = services.approvals.status(await services.approvals.forInteraction(uid));
      } catch (error) {
        await unsubscribe().catch(() => undefined);
        throw error;
      }
    }

    // Written straight to the socket's response, and Koa's context let go of (it would
    // otherwise stay alive with the response, about 1 KB per waiting page: see
    // docs/benchmarks.md). Headers set earlier by middleware (security headers, request id)
    // are already on the response.
    const { req, res } = ctx;
    ctx.status = 200; // for the request log and metrics; Koa itself no longer responds
    ctx.respond = false;
    releaseKoaContext(res);
    req.socket.setTimeout(0);
    req.socket.setNoDelay(true);
    // A stream held open by 10,000 waiting pages keeps its header block for its whole life
    // (see docs/benchmarks.md): the headers browsers apply only to documents are dropped.
    for (const name of DOCUMENT_ONLY_HEADERS) res.removeHeader(name);
    // Chunked, on a keep-alive connection: the connection gives up its HTTP parser while the
    // page waits and gets a fresh one when the stream ends (retire-http-parser.ts), so the
    // browser's next request (the completion) or a proxy's next one can use it, without a new
    // TCP or TLS handshake at the moment the person is waiting to be signed in.
    res.writeHead(200, { 'Content-Type': 'text/event-stream; charset=utf-8', 'Cache-Control': 'no-store', 'X-Accel-Buffering': 'no' });
    let ended = false;
    let unregister: (() => void) | undefined;
    const end = (last?: string) => {
      if (ended) return;
      ended = true;
      unregister?.();
      void unsubscribe().catch(() => undefined);
      res.end(last);
    };
    const write = (chunk: string) => {
      if (!ended) res.write(chunk);
    };
    // A final state ends the stream in the same write that carries it.
    const sendStatus = (prefix: string, status: PublicStatus) => {
      const chunk = `${prefix}${eventText(status)}`;
      if (FINAL.has(status.state)) end(chunk);
      else write(chunk);
    };
    // A missing approval reads as expired, which is final.
    if (first) sendStatus(RETRY, first);
    else write(RETRY);
    if (ended) return;

    deliver = (status) => sendStatus('', status);
    unregister = services.streams.add({
      ping: () => write(': keep-alive\n\n'),
      close: () => end(eventText({ reason: 'shutdown' }, 'reconnect')),
    });
    res.on('close', end);
    if (latest && latest.state !== first?.state) deliver(latest);
    setImmediate(() => {
      if (!ended) retireHttpParser(req, res);
    });
  };
}

const RETRY = 'retry: 2000\n\n';

function eventText(data: unknown, event?: string): string {
  return `${event ? `event: ${event}\n` : ''}data: ${JSON.stringify(data)}\n\n`;
}

/** A page's `since` (ms since the epoch); anything else means "read the store". */
function sinceParam(value: unknown): number | undefined {
  if (typeof value !== 'string' || !/^\d{1,15}$/.test(value)) return undefined;
  return Number(value);
}

/**
 * GET /interaction/:uid/status?state=<known> — the long-poll fallback. Answers at once if the
 * state differs from `state`, otherwise when it changes or after 25 s.
 */
export function longPoll(services: Services) {
  return async function pollStatus(ctx: Context): Promise<void> {
    const uid = requireInteractionCookie(services, ctx);
    const known = typeof ctx.query.state === 'string' ? ctx.query.state : '';
    const approval = await services.approvals.forInteraction(uid);
    const status = services.approvals.status(approval);
    if (!approval || status.state !== known || FINAL.has(status.state)) {
      ctx.body = status;
      return;
    }
    ctx.body = await new Promise((resolve) => {
      let unsubscribe: (() => Promise<void>) | undefined;
      let settled = false;
      const finish = async () => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        await unsubscribe?.().catch(() => undefined);
        resolve(services.approvals.status(await services.approvals.get(approval.id)));
      };
      const timer = setTimeout(() => void finish(), LONG_POLL_MS);
      ctx.req.on('close', () => void finish());
      void services.approvals.events.subscribe(approval.id, () => void finish()).then((u) => {
        unsubscribe = u;
      });
    });
  };
}
