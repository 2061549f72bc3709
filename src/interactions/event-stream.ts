import type { Context } from 'koa';

import type { ApprovalState, PublicStatus } from '../approvals/approval-record.js';
import { clientAddress } from '../web/client-address.js';
import type { Services } from '../services.js';
import { requireInteractionCookie } from './load-interaction.js';

const LONG_POLL_MS = 25_000;
const FINAL: ReadonlySet<ApprovalState> = new Set(['approved', 'denied', 'expired']);

/**
 * GET /interaction/:uid/events — Server-Sent Events with the approval's state. Events carry the
 * state and timings only: no name, email or other personal data.
 *
 * The stream subscribes first and then reads the approval, so no change can fall between the
 * two; its first event is the state it read, so a page that reconnects (to any instance)
 * catches up at once. Every keep-alive (HEARTBEAT_MS) reads it again, for a message pub/sub
 * lost. It ends with a final state, and at the interaction's expiry at the latest. Open
 * streams and long-polls are limited per interaction and per client address (stream-limits.ts).
 */
export function eventStream(services: Services) {
  return async function streamEvents(ctx: Context): Promise<void> {
    const uid = requireInteractionCookie(services, ctx);
    const release = services.streamLimits.reserve({ interaction: uid, address: clientAddress(ctx) });
    // Anything published before the first event has gone out is held until it has.
    let latest: PublicStatus | undefined;
    let deliver: (status: PublicStatus) => void = (status) => void (latest = status);
    let unsubscribe: (() => Promise<void>) | undefined;
    let first: PublicStatus;
    let expiresAt = 0;
    try {
      unsubscribe = await services.approvals.events.subscribe(uid, (status) => deliver(status));
      const approval = await services.approvals.forInteraction(uid);
      first = services.approvals.status(approval);
      expiresAt = approval?.expiresAt ?? 0;
    } catch (error) {
      release();
      await unsubscribe?.().catch(() => undefined);
      throw error;
    }

    // Written to node's response as events come (Koa's documented ctx.respond = false); the
    // connection stays open as long as the page waits. Headers set before (security headers,
    // the request id) are on the response already.
    const { res } = ctx;
    ctx.status = 200; // for the request log and metrics
    ctx.respond = false;
    ctx.req.socket.setTimeout(0);
    ctx.req.socket.setNoDelay(true);
    res.writeHead(200, { 'Content-Type': 'text/event-stream; charset=utf-8', 'Cache-Control': 'no-store', 'X-Accel-Buffering': 'no' });
    const body = res;
    let ended = false;
    let unregister: (() => void) | undefined;
    let expiry: NodeJS.Timeout | undefined;
    const end = (last?: string) => {
      if (ended) return;
      ended = true;
      clearTimeout(expiry);
      release();
      unregister?.();
      void unsubscribe?.().catch(() => undefined);
      body.end(last);
    };
    const write = (chunk: string) => {
      if (!ended) body.write(chunk);
    };
    // A final state ends the stream in the same write that carries it. A status the page has
    // already been sent is not sent again.
    let sent = '';
    const sendStatus = (prefix: string, status: PublicStatus) => {
      const text = eventText(status);
      if (text === sent) return;
      sent = text;
      if (FINAL.has(status.state)) end(`${prefix}${text}`);
      else write(`${prefix}${text}`);
    };
    // A missing approval reads as expired, which is final.
    sendStatus(RETRY, first);
    if (ended) return;

    let published = 0;
    deliver = (status) => {
      published += 1;
      sendStatus('', status);
    };
    unregister = services.streams.add({
      ping: () => {
        write(': keep-alive\n\n');
        // Pub/sub delivers at most once, and Redis keeps nothing while a subscriber reconnects
        // (a failover, a cluster topology change): each keep-alive reads the approval again, so
        // a lost message delays the page by one heartbeat, never for good. A read that a
        // message overtook (they come on different connections) is older than it: dropped.
        const before = published;
        services.approvals.forInteraction(uid).then(
          (approval) => published === before && sendStatus('', services.approvals.status(approval)),
          () => undefined, // the store is down: the next keep-alive tries again
        );
      },
      close: () => end(eventText({ reason: 'shutdown' }, 'reconnect')),
    });
    if (ended) return; // opened during shutdown: already told to reconnect
    // Nothing outlives the interaction: at its expiry the page is told, and the stream ends.
    expiry = setTimeout(() => sendStatus('', { state: 'expired' }), Math.max(0, expiresAt - Date.now()));
    ctx.res.on('close', () => end());
    if (latest && latest.state !== first.state) deliver(latest);
  };
}

const RETRY = 'retry: 2000\n\n';

function eventText(data: unknown, event?: string): string {
  return `${event ? `event: ${event}\n` : ''}data: ${JSON.stringify(data)}\n\n`;
}

/**
 * GET /interaction/:uid/status?state=<known> — the long-poll fallback. Answers at once if the
 * state differs from `state`, otherwise when it changes or after 25 s.
 */
export function longPoll(services: Services) {
  return async function pollStatus(ctx: Context): Promise<void> {
    const uid = requireInteractionCookie(services, ctx);
    const known = typeof ctx.query.state === 'string' ? ctx.query.state : '';
    const release = services.streamLimits.reserve({ interaction: uid, address: clientAddress(ctx) });
    try {
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
        // Never past the interaction's expiry: then the answer is "expired".
        const timer = setTimeout(() => void finish(), Math.max(0, Math.min(LONG_POLL_MS, approval.expiresAt - Date.now())));
        ctx.res.on('close', () => void finish());
        void services.approvals.events.subscribe(approval.id, () => void finish()).then((u) => {
          unsubscribe = u;
          if (settled) void u().catch(() => undefined);
        });
      });
    } finally {
      release();
    }
  };
}
