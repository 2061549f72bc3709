import type Router from '@koa/router';
import type { Context } from 'koa';
import * as oidc from 'openid-client';

import { endSession } from '../accounts/end-session.js';
import { disableUser, enableUser } from '../accounts/user-lifecycle.js';
import type { User } from '../accounts/users.js';
import { ADMIN_CLIENT_ID } from '../config/load.js';
import { forbidden, notFound, QridError } from '../errors/qrid-error.js';
import { clientAddress } from '../web/client-address.js';
import { readForm } from '../web/read-form.js';
import { localeOf } from '../i18n/locale.js';
import { qrSvg } from '../web/qr-image.js';
import type { Services } from '../services.js';
import { type AdminSession, currentAdminSession, endAdminSession, startAdminSession } from './admin-session.js';

const ID = /^[\w-]{1,64}$/;
const LOGIN_COOKIE = 'qrid_admin_login';
const LOGIN_SECONDS = 10 * 60;
const loginKey = (state: string) => `admin-login:${state}`;

/**
 * The admin console: list and create users, hand out enrollment links (and QR codes), disable
 * and enable users. Opening it takes a fresh approval on an administrator's phone every time
 * (admin-session.ts); it says who is signed in and has a sign-out. Disabling asks first.
 */
export function adminRoutes(services: Services, router: Router): void {
  const { config, views, csrf } = services;
  const binding = (session: AdminSession) => `admin:${session.id}`;

  /** A signed-in administrator whose form carries a valid CSRF token (every admin POST). */
  async function requireAdmin(ctx: Context, token: unknown): Promise<AdminSession> {
    const session = await currentAdminSession(services, ctx);
    if (!session) throw forbidden('not_admin');
    if (!csrf.verify(binding(session), token)) throw forbidden('csrf_invalid');
    return session;
  }

  async function renderConsole(ctx: Context, session: AdminSession, extra: Record<string, unknown> = {}): Promise<void> {
    const users = await services.users.list();
    const rows = await Promise.all(users.map(async (u) => ({ ...u, devices: (await services.devices.listForUser(u.id)).length })));
    views.render(ctx, 'admin.njk', { admin: session.admin, users: rows, csrf: csrf.token(binding(session)), ...extra });
  }

  async function renderInvite(ctx: Context, session: AdminSession, user: User): Promise<void> {
    const { token, expiresAt } = await services.enrollments.create('invite', user.id);
    const url = `${config.issuer}/enroll/${token}`;
    services.logger.info({ event: 'enrollment.issued', accountId: user.id, byAccount: session.admin.id, ip: clientAddress(ctx) }, 'enrollment.issued');
    await renderConsole(ctx, session, { invite: { user, url, svg: await qrSvg(url, localeOf(ctx).t('qr.svg_label')), expiresAt } });
  }

  router.get('/admin', async (ctx) => {
    const session = await currentAdminSession(services, ctx);
    if (!session) {
      views.render(ctx, 'admin-sign-in.njk', { signedOut: ctx.query.signed_out === '1' });
      return;
    }
    const { t } = localeOf(ctx);
    const named = String(ctx.query.user ?? '').slice(0, 64);
    const notice = ctx.query.disabled
      ? t('admin.notice.disabled', { username: named })
      : ctx.query.enabled
        ? t('admin.notice.enabled', { username: named })
        : ctx.query.updated
          ? t('admin.notice.updated', { username: named })
          : undefined;
    await renderConsole(ctx, session, { notice });
  });

  /** Starts the console's sign-in: always a new approval (prompt=login), bound to this browser by `state`. */
  router.get('/admin/login', async (ctx) => {
    const state = oidc.randomState();
    await services.store.putRecord(loginKey(state), { startedAt: String(Date.now()) }, LOGIN_SECONDS);
    ctx.cookies.set(LOGIN_COOKIE, state, { httpOnly: true, sameSite: 'lax', signed: true, path: '/admin', secure: config.issuer.startsWith('https:'), maxAge: LOGIN_SECONDS * 1000 });
    const url = new URL(services.provider.urlFor('authorization'));
    url.search = new URLSearchParams({
      client_id: ADMIN_CLIENT_ID,
      response_type: 'code',
      scope: 'openid',
      redirect_uri: `${config.issuer}/admin/callback`,
      prompt: 'login',
      // PKCE is required of every client; the console does not redeem the code (below).
      code_challenge: await oidc.calculatePKCECodeChallenge(oidc.randomPKCECodeVerifier()),
      code_challenge_method: 'S256',
      state,
    }).toString();
    ctx.redirect(url.href);
  });

  /**
   * The approval happened. The console trusts it only for this browser (the state cookie), only
   * for a sign-in made after /admin/login began, and only for an active administrator: what it
   * reads is this browser's qrid session, whose login oidc-provider has just recorded.
   */
  router.get('/admin/callback', async (ctx) => {
    const state = ctx.cookies.get(LOGIN_COOKIE, { signed: true });
    const pending = state && state === ctx.query.state ? await services.store.takeRecord(loginKey(state)) : undefined;
    ctx.cookies.set(LOGIN_COOKIE, null, { path: '/admin' });
    const jti = ctx.cookies.get(services.provider.cookieName('session'), { signed: true });
    const session = pending && jti && jti.length <= 100 ? await services.provider.Session.find(jti) : undefined;
    const loginAt = (session?.loginTs ?? 0) * 1000;
    const fresh = pending && loginAt >= Math.floor(Number(pending.startedAt) / 1000) * 1000 && session?.authorizations?.[ADMIN_CLIENT_ID];
    const user = fresh && session?.accountId ? await services.users.findActive(session.accountId) : undefined;
    if (!user?.admin || !session?.uid) throw new QridError(403, user ? 'not_admin' : 'admin_sign_in_failed');
    await startAdminSession(services, ctx, user.id, session.uid);
    services.logger.info({ event: 'admin.signed_in', accountId: user.id, ip: clientAddress(ctx) }, 'admin.signed_in');
    ctx.redirect('/admin');
  });

  /** Signs out of the console, and ends the qrid sign-in that its approval made in this browser. */
  router.post('/admin/logout', async (ctx) => {
    const form = await readForm(ctx);
    const session = await requireAdmin(ctx, form.csrf);
    await endAdminSession(services, ctx, session);
    if (session.sessionUid) await endSession(services, { uid: session.sessionUid, accountId: session.admin.id }, 'user', { accountId: session.admin.id, ip: clientAddress(ctx) });
    services.logger.info({ event: 'admin.signed_out', accountId: session.admin.id, ip: clientAddress(ctx) }, 'admin.signed_out');
    ctx.status = 303;
    ctx.redirect('/admin?signed_out=1');
  });

  router.post('/admin/users', async (ctx) => {
    const form = await readForm(ctx);
    const session = await requireAdmin(ctx, form.csrf);
    const user = await services.users.create({ username: form.username ?? '', name: form.name, email: form.email, groups: groupList(form.groups), admin: form.admin === 'on' });
    services.logger.info({ event: 'user.created', accountId: user.id, byAccount: session.admin.id, ip: clientAddress(ctx) }, 'user.created');
    await renderInvite(ctx, session, user);
  });

  /** A user's profile: what apps receive as name, email and groups. */
  router.get('/admin/users/:id', async (ctx) => {
    const session = await currentAdminSession(services, ctx);
    if (!session) {
      ctx.redirect('/admin');
      return;
    }
    const id = String(ctx.params.id);
    const user = ID.test(id) ? await services.users.find(id) : undefined;
    if (!user) throw notFound('error.not_found.user');
    views.render(ctx, 'admin-user.njk', { user, csrf: csrf.token(binding(session)) });
  });

  router.post('/admin/users/:id/:action', async (ctx) => {
    const form = await readForm(ctx);
    const session = await requireAdmin(ctx, form.csrf);
    const id = String(ctx.params.id);
    const user = ID.test(id) ? await services.users.find(id) : undefined;
    if (!user) throw notFound('error.not_found.user');
    const actor = { accountId: session.admin.id, ip: clientAddress(ctx) };
    const { t } = localeOf(ctx);
    switch (ctx.params.action) {
      case 'invite':
        if (user.disabled) throw forbidden('user_disabled', 'error.user_disabled.invite');
        return renderInvite(ctx, session, user);
      case 'disable':
        if (user.id === session.admin.id) throw forbidden('self_disable');
        // One tap must not disable someone: the first POST asks, the confirming one acts.
        if (form.confirm !== 'yes') {
          views.render(ctx, 'confirm.njk', {
            heading: t('admin.disable.heading', { username: user.username }),
            text: t('admin.disable.text', { name: user.name || user.username }),
            action: `/admin/users/${user.id}/disable`,
            csrf: form.csrf,
            cancelHref: '/admin',
            confirmLabel: t('admin.disable.button'),
          });
          return;
        }
        await disableUser(services, user, actor);
        break;
      case 'enable':
        await enableUser(services, user, actor);
        break;
      case 'profile':
        await services.users.update(user, { name: form.name ?? '', email: form.email ?? '', groups: groupList(form.groups) });
        services.logger.info({ event: 'user.updated', accountId: user.id, byAccount: actor.accountId, ip: actor.ip }, 'user.updated');
        break;
      default:
        throw notFound();
    }
    const done = { disable: 'disabled', enable: 'enabled', profile: 'updated' }[ctx.params.action as 'disable' | 'enable' | 'profile'];
    ctx.status = 303;
    ctx.redirect(`/admin?${done}=1&user=${encodeURIComponent(user.username)}`);
  });
}

/** The groups field: names separated by commas (or spaces). */
function groupList(field: string | undefined): string[] {
  return String(field ?? '').split(/[,\s]+/).filter(Boolean);
}
