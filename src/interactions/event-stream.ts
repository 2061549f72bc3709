import { PassThrough } from 'node:stream';

import type { Context } from 'koa';

import type { ApprovalState } from '../approvals/approval-record.js';
import type { Services } from '../services.js';
import { loadInteraction } from './load-interaction.js';

const HEARTBEAT_MS = 20_000;
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

    ctx.req.socket.setTimeout(0);
    ctx.req.socket.setNoDelay(true);
    ctx.status = 200;
    ctx.type = 'text/event-stream';
    ctx.set('Cache-Control', 'no-store');
    ctx.set('X-Accel-Buffering', 'no');
    const stream = new PassThrough();
    ctx.body = stream;

    const send = (data: unknown, event?: string) => {
      if (!stream.writable) return;
      stream.write(`${event ? `event: ${event}\n` : ''}data: ${JSON.stringify(data)}\n\n`);
    };
    stream.write('retry: 2000\n\n');
    send(services.approvals.status(approval));
    if (!approval) {
      stream.end();
      return;
    }

    let unsubscribe: (() => Promise<void>) | undefined;
    let unregister: (() => void) | undefined;
    const heartbeat = setInterval(() => stream.write(': keep-alive\n\n'), HEARTBEAT_MS);
    const cleanup = () => {
      clearInterval(heartbeat);
      unregister?.();
      void unsubscribe?.().catch(() => undefined);
    };
    stream.on('close', cleanup);
    ctx.req.on('close', () => stream.end());

    unregister = services.streams.add({
      close: () => {
        send({ reason: 'shutdown' }, 'reconnect');
        stream.end();
      },
    });
    // The message is the public status as the engine wrote it (no personal data by construction).
    unsubscribe = await services.approvals.subscribe(approval.id, (status) => {
      send(status);
      if (FINAL.has(status.state)) stream.end();
    });
    // A change between the first read and the subscription would otherwise be missed.
    const latest = services.approvals.status(await services.approvals.get(approval.id));
    if (latest.state !== services.approvals.status(approval).state) send(latest);
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
