import type { Context } from 'koa';

import type { ApprovalState } from '../approvals/approval-record.js';
import type { Services } from '../services.js';
import { loadInteraction } from './load-interaction.js';

const LONG_POLL_MS = 25_000;
const FINAL: ReadonlySet<ApprovalState> = new Set(['approved', 'denied', 'expired', 'completed']);

/**
 * GET /interaction/:uid/events — Server-Sent Events with the approval's state. The first event
 * is the current state, so a page that reconnects (to any instance) catches up at once.
 * Events carry the state and timings only: no name, email or other personal data.
 */
export function eventStream(services: Services) {
  return async function streamEvents(ctx: Context): Promise<void> {
    const details = await loadInteraction(services, ctx);
    const approval = await services.approvals.forInteraction(details.uid);
    const first = services.approvals.status(approval);

    // Written straight to the socket's response: nothing of Koa's context stays referenced
    // while a page waits (per-stream memory, see docs/benchmarks.md). Headers set earlier by
    // middleware (security headers, request id) are already on the response.
    const { req, res } = ctx;
    ctx.status = 200; // for the request log and metrics; Koa itself no longer responds
    ctx.respond = false;
    req.socket.setTimeout(0);
    req.socket.setNoDelay(true);
    res.writeHead(200, { 'Content-Type': 'text/event-stream; charset=utf-8', 'Cache-Control': 'no-store', 'X-Accel-Buffering': 'no' });
    let ended = false;
    const write = (chunk: string) => {
      if (!ended) res.write(chunk);
    };
    const send = (data: unknown, event?: string) => write(`${event ? `event: ${event}\n` : ''}data: ${JSON.stringify(data)}\n\n`);
    write('retry: 2000\n\n');
    send(first);
    if (!approval || FINAL.has(first.state)) {
      ended = true;
      res.end();
      return;
    }

    let unsubscribe: (() => Promise<void>) | undefined;
    const end = () => {
      if (ended) return;
      ended = true;
      unregister();
      void unsubscribe?.().catch(() => undefined);
      res.end();
    };
    const unregister = services.streams.add({
      ping: () => write(': keep-alive\n\n'),
      close: () => {
        send({ reason: 'shutdown' }, 'reconnect');
        end();
      },
    });
    res.on('close', end);
    try {
      // The message is the public status as the engine wrote it (no personal data by construction).
      unsubscribe = await services.approvals.subscribe(approval.id, (status) => {
        send(status);
        if (FINAL.has(status.state)) end();
      });
    } catch {
      end(); // the page reconnects (EventSource retry) and catches up
      return;
    }
    if (ended) {
      void unsubscribe().catch(() => undefined);
      return;
    }
    // A change between the first read and the subscription would otherwise be missed.
    const latest = services.approvals.status(await services.approvals.get(approval.id));
    if (latest.state !== first.state) {
      send(latest);
      if (FINAL.has(latest.state)) end();
    }
  };
}

/**
 * GET /interaction/:uid/status?state=<known> — the long-poll fallback. Answers at once if the
 * state differs from `state`, otherwise when it changes or after 25 s.
 */
export function longPoll(services: Services) {
  return async function pollStatus(ctx: Context): Promise<void> {
    const details = await loadInteraction(services, ctx);
    const known = typeof ctx.query.state === 'string' ? ctx.query.state : '';
    const approval = await services.approvals.forInteraction(details.uid);
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
      void services.approvals.subscribe(approval.id, () => void finish()).then((u) => {
        unsubscribe = u;
      });
    });
  };
}
