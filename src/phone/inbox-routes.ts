import type Router from '@koa/router';
import type { Context } from 'koa';

import type { Approval } from '../approvals/approval-record.js';
import { localeOf } from '../i18n/locale.js';
import type { Services } from '../services.js';
import { clientAddress } from '../web/client-address.js';
import { readForm } from '../web/read-form.js';
import { currentDevice } from './device-session.js';
import { decisionFrom, renderApprovalPage, renderDecided } from './qr-landing.js';
import { requireDevice } from './require-device.js';
import { approvalPasskeyOptions } from './qr-landing.js';

/**
 * The phone's inbox: requests addressed to this user (CIBA, a push sign-in), opened from the
 * list on /phone or from a notification. The same approval screen and decide use case as a
 * scanned QR; opening one binds it to this device (reported by the page's script, as a scan
 * is: a GET changes nothing).
 */
export function inboxRoutes(services: Services, router: Router): void {
  const inboxTarget = (ctx: Context) => ({ inbox: String(ctx.params.id ?? '') });

  router.get('/phone/inbox', async (ctx) => {
    const signedIn = await requireDevice(services, ctx, ctx.get('X-CSRF-Token'));
    ctx.body = { requests: await inboxItems(services, ctx, signedIn.user.id) };
  });

  /** Tells the page when the inbox changes (server-sent events; the page then reads the list again). */
  router.get('/phone/inbox/events', async (ctx) => {
    const signedIn = await currentDevice(services, ctx);
    if (!signedIn) {
      ctx.status = 401;
      return;
    }
    // Bounded like the waiting page's streams: a few per device, and per address in all.
    const release = services.streamLimits.reserve({ interaction: `inbox:${signedIn.device.id}`, address: clientAddress(ctx) });
    const { res } = ctx;
    let ended = false;
    let unregister = () => {};
    let stop: (() => Promise<void>) | undefined;
    let bound: NodeJS.Timeout | undefined;
    const end = (last?: string) => {
      if (ended) return;
      ended = true;
      clearTimeout(bound);
      release();
      unregister();
      void stop?.().catch(() => undefined);
      res.end(last);
    };
    const write = (chunk: string) => {
      if (!ended) res.write(chunk);
    };
    // Subscribed before the response starts: a store that is down gets its 503, and the place goes back.
    try {
      stop = await services.inbox.listen(signedIn.user.id, () => write('event: changed\ndata: {}\n\n'));
    } catch (error) {
      release();
      throw error;
    }
    ctx.respond = false;
    res.writeHead(200, { 'Content-Type': 'text/event-stream', 'Cache-Control': 'no-store', 'X-Accel-Buffering': 'no' });
    res.write('retry: 5000\n\n');
    // Kept alive with the waiting pages' streams, and ended with them on shutdown (the page reconnects elsewhere).
    unregister = services.streams.add({
      ping: () => write(': ping\n\n'),
      close: () => end('event: reconnect\ndata: {"reason":"shutdown"}\n\n'),
    });
    if (ended) return; // opened during shutdown: already told to reconnect
    res.on('close', () => end());
    // A page is not kept forever: it reconnects (EventSource does by itself).
    bound = setTimeout(() => end(), 10 * 60_000);
    bound.unref();
  });

  router.get('/phone/inbox/:id', async (ctx) => {
    const signedIn = await currentDevice(services, ctx);
    if (!signedIn) {
      services.views.render(ctx, 'phone-not-signed-in.njk');
      return;
    }
    const approval = await services.decisions.pending(inboxTarget(ctx), signedIn, 'device-session', clientAddress(ctx));
    const path = `/phone/inbox/${approval.id}`;
    await renderApprovalPage(services, ctx, signedIn, approval, path, `${path}/claim`);
  });

  router.post('/phone/inbox/:id/claim', async (ctx) => {
    const signedIn = await requireDevice(services, ctx, ctx.get('X-CSRF-Token'));
    const approval = await services.decisions.claim(inboxTarget(ctx), signedIn, 'device-session', clientAddress(ctx));
    ctx.body = { state: approval.state, decideBy: approval.decideBy };
  });

  router.post('/phone/inbox/:id/passkey-options', approvalPasskeyOptions(services, (ctx) => ({ claimed: String(ctx.params.id ?? '') })));

  router.post('/phone/inbox/:id', async (ctx) => {
    const form = await readForm(ctx);
    const signedIn = await requireDevice(services, ctx, form.csrf);
    // Opened without the page's script (no claim reported yet): bind it now.
    await services.decisions.claim(inboxTarget(ctx), signedIn, 'device-session', clientAddress(ctx));
    const approval = await services.decisions.decide(decisionFrom(ctx, form, signedIn, { claimed: String(ctx.params.id ?? '') }));
    renderDecided(services, ctx, approval);
  });
}

/** What the inbox list shows of each waiting request. */
export async function inboxItems(services: Services, ctx: Context, accountId: string) {
  const locale = localeOf(ctx);
  const items = [];
  for (const approval of await services.inbox.pending(accountId)) items.push(await inboxItem(services, locale, approval));
  return items;
}

async function inboxItem(services: Services, locale: ReturnType<typeof localeOf>, approval: Approval) {
  const client = await services.provider.Client.find(approval.clientId);
  return {
    id: approval.id,
    url: `/phone/inbox/${approval.id}`,
    app: client?.clientName ?? approval.clientId,
    bindingMessage: approval.bindingMessage,
    age: locale.ago(approval.createdAt),
  };
}
