import Router from '@koa/router';
import type { Context } from 'koa';
import * as oidc from 'openid-client';

import { disableUser, enableUser } from '../accounts/user-lifecycle.js';
import type { User } from '../accounts/users.js';
import { ADMIN_CLIENT_ID } from '../config/load.js';
import { forbidden, notFound } from '../errors/qrid-error.js';
import { readForm } from '../http/read-form.js';
import { qrSvg } from '../interactions/qr-image.js';
import { formatTime } from '../phone/account-view.js';
import type { Services } from '../services.js';
import { currentAdmin } from './current-admin.js';
import { clientAddress } from '../http/client-address.js';

const ID = /^[\w-]{1,64}$/;

/**
 * The admin console: list and create users, hand out enrollment links (and QR codes), disable
 * and enable users. Administrators sign in to it by QR like everyone (qrid is its own client).
 */
export function adminRoutes(services: Services, router: Router): void {
  const { config, views, csrf } = services;
  const binding = (admin: User) => `admin:${admin.id}`;

  /** A signed-in administrator whose form carries a valid CSRF token (every admin POST). */
  async function requireAdmin(ctx: Context, token: unknown): Promise<User> {
    const admin = await currentAdmin(services, ctx);
    if (!admin) throw forbidden('not_admin', 'Sign in as an administrator first.', 'Administrators only');
    if (!csrf.verify(binding(admin), token)) {
      throw forbidden('csrf_invalid', 'This page is out of date. Reload it and try again.', 'Request refused');
    }
    return admin;
  }

  async function renderConsole(ctx: Context, admin: User, extra: Record<string, unknown> = {}): Promise<void> {
    const users = await services.users.list();
    const rows = await Promise.all(
      users.map(async (u) => ({ ...u, devices: (await services.devices.listForUser(u.id)).length, created: formatTime(u.createdAt) })),
    );
    ctx.type = 'html';
    ctx.body = views.render('admin.njk', { admin, users: rows, csrf: csrf.token(binding(admin)), ...extra });
  }

  async function renderInvite(ctx: Context, admin: User, user: User): Promise<void> {
    const { token, expiresAt } = await services.enrollments.create('invite', user.id);
    const url = `${config.issuer}/enroll/${token}`;
    services.logger.info({ event: 'enrollment.issued', accountId: user.id, byAccount: admin.id, ip: clientAddress(ctx) }, 'enrollment.issued');
    await renderConsole(ctx, admin, { invite: { user, url, svg: await qrSvg(url), expires: formatTime(expiresAt) } });
  }

  router.get('/admin', async (ctx) => {
    const admin = await currentAdmin(services, ctx);
    if (!admin) {
      ctx.type = 'html';
      ctx.body = views.render('admin-sign-in.njk', {});
      return;
    }
    await renderConsole(ctx, admin);
  });

  router.get('/admin/login', async (ctx) => {
    // PKCE and state are required by the provider; the console relies on qrid's session cookie
    // that the sign-in sets, so the code itself is not redeemed (it expires unused).
    const url = new URL(`${config.issuer}/auth`);
    url.search = new URLSearchParams({
      client_id: ADMIN_CLIENT_ID,
      response_type: 'code',
      scope: 'openid',
      redirect_uri: `${config.issuer}/admin/callback`,
      code_challenge: await oidc.calculatePKCECodeChallenge(oidc.randomPKCECodeVerifier()),
      code_challenge_method: 'S256',
      state: oidc.randomState(),
    }).toString();
    ctx.redirect(url.href);
  });

  router.get('/admin/callback', (ctx) => {
    ctx.redirect('/admin');
  });

  router.post('/admin/users', async (ctx) => {
    const form = await readForm(ctx);
    const admin = await requireAdmin(ctx, form.csrf);
    const user = await services.users.create({ username: form.username ?? '', name: form.name, email: form.email, admin: form.admin === 'on' });
    services.logger.info({ event: 'user.created', accountId: user.id, byAccount: admin.id, ip: clientAddress(ctx) }, 'user.created');
    await renderInvite(ctx, admin, user);
  });

  router.post('/admin/users/:id/:action', async (ctx) => {
    const form = await readForm(ctx);
    const admin = await requireAdmin(ctx, form.csrf);
    const id = String(ctx.params.id);
    const user = ID.test(id) ? await services.users.find(id) : undefined;
    if (!user) throw notFound('No such user.');
    const actor = { accountId: admin.id, ip: clientAddress(ctx) };
    switch (ctx.params.action) {
      case 'invite':
        if (user.disabled) throw forbidden('user_disabled', 'Enable this user before inviting them.');
        return renderInvite(ctx, admin, user);
      case 'disable':
        if (user.id === admin.id) throw forbidden('self_disable', 'You cannot disable your own account here.');
        await disableUser(services, user, actor);
        break;
      case 'enable':
        await enableUser(services, user, actor);
        break;
      default:
        throw notFound();
    }
    ctx.status = 303;
    ctx.redirect('/admin');
  });
}
