import type Router from '@koa/router';

import { notFound, QridError } from '../errors/qrid-error.js';
import type { Services } from '../services.js';
import { clientAddress } from '../web/client-address.js';
import { readForm } from '../web/read-form.js';
import { loadInteraction, requireInteractionCsrf } from './load-interaction.js';

/**
 * "Send a notification to my phone instead" (`push.sign_in`, off by default): the person names
 * their account; its phones get a push and the request waits in its inbox. Approving needs
 * the number this page shows, typed on the phone: a push reaches the phone without anything
 * the person saw on this screen, so the number is what ties the two (RFC 10027's advice for
 * this pattern). Limited per address and per named account, so nobody can flood a person with
 * prompts; the answer is the same whether the account exists or not.
 */
export function pushSignInRoutes(services: Services, router: Router): void {
  router.post('/interaction/:uid/push', async (ctx) => {
    if (!services.config.push.sign_in) throw notFound();
    const form = await readForm(ctx);
    requireInteractionCsrf(services, ctx, form.csrf);
    const details = await loadInteraction(services, ctx);
    if (details.prompt.name !== 'login') throw new QridError(409, 'not_login');
    const username = String(form.username ?? '').trim().toLowerCase().slice(0, 64);
    if (!username) throw new QridError(400, 'invalid_username');
    const { limiter, config } = services;
    await limiter.hit('push-sign-in', { address: clientAddress(ctx) }, config.rate_limits.push_sign_in_per_ip);
    await limiter.hit('push-sign-in', { account: `name:${username}` }, config.rate_limits.push_sign_in_per_account);
    const user = await services.users.findByUsername(username);
    if (user && !user.disabled) {
      const client = await services.provider.Client.find(String(details.params.client_id));
      await services.addressed.pushSignIn(details.uid, user.id, client?.clientName ?? String(details.params.client_id));
      services.logger.info({ event: 'push_sign_in.requested', approvalId: details.uid, accountId: user.id, ip: clientAddress(ctx) }, 'push_sign_in.requested');
    }
    ctx.status = 303;
    ctx.redirect(`/interaction/${details.uid}?pushed=${encodeURIComponent(username)}`);
  });
}
