import type { Context } from 'koa';

import { endSession } from '../accounts/end-session.js';
import { revokeGrantTokens } from '../adapters/oidc-adapter.js';
import { localeOf } from '../i18n/locale.js';
import type { SessionRecord } from '../accounts/session-records.js';
import { removeDevice } from '../accounts/remove-device.js';
import { notFound } from '../errors/qrid-error.js';
import { readForm } from '../web/read-form.js';
import type { Services } from '../services.js';
import { deviceCookieName } from './device-session.js';
import { requireDevice } from './require-device.js';
import { clientAddress } from '../web/client-address.js';

/** A session uid, or `grant:<id>` for a sign-in without a browser session (accounts/end-session.ts). */
const ID = /^(grant:)?[A-Za-z0-9_-]{1,64}$/;
const CLIENT_ID = /^[\w.:~-]{1,200}$/;

/** The session a route names and qrid's record of it, only if it is the signed-in user's own. */
async function ownSession(services: Services, ctx: Context, accountId: string): Promise<{ uid: string; record: SessionRecord }> {
  const uid = String(ctx.params.uid ?? '');
  const record = ID.test(uid) ? (await services.sessions.records(accountId)).get(uid) : undefined;
  if (!record) throw notFound('error.not_found.session');
  return { uid, record };
}

/** POST /phone/sessions/:uid/end and /not-me — sign one browser session out. */
export function endOneSession(services: Services, reason: 'user' | 'not_me') {
  return async function end(ctx: Context): Promise<void> {
    const form = await readForm(ctx);
    const { user, device } = await requireDevice(services, ctx, form.csrf);
    const { uid, record } = await ownSession(services, ctx, user.id);
    await endSession(services, { uid, accountId: user.id }, reason, { accountId: user.id, deviceId: device.id, ip: clientAddress(ctx) });
    if (reason === 'not_me') {
      services.logger.warn(
        { event: 'approval.reported', accountId: user.id, sessionUid: uid, approvalId: record.approvalId, approvedByDevice: record.deviceId, reportedByDevice: device.id, requesterIp: record.ip, ip: clientAddress(ctx) },
        'approval.reported',
      );
    }
    ctx.status = 303;
    ctx.redirect(reason === 'not_me' ? '/phone?reported=1' : '/phone?ended=1');
  };
}

/** POST /phone/sessions/end-all — sign out every browser session of this user. */
export function endAllSessions(services: Services) {
  return async function endAll(ctx: Context): Promise<void> {
    const form = await readForm(ctx);
    const { user, device } = await requireDevice(services, ctx, form.csrf);
    for (const uid of await services.sessions.ofAccount(user.id)) {
      await endSession(services, { uid, accountId: user.id }, 'user_all', { accountId: user.id, deviceId: device.id, ip: clientAddress(ctx) });
    }
    ctx.status = 303;
    ctx.redirect('/phone?ended=1');
  };
}

/** POST /phone/devices/:id/remove — remove one of the user's devices (this one included). */
export function removeOwnDevice(services: Services) {
  return async function remove(ctx: Context): Promise<void> {
    const form = await readForm(ctx);
    const { user, device: current } = await requireDevice(services, ctx, form.csrf);
    const id = String(ctx.params.id ?? '');
    const target = ID.test(id) ? await services.devices.find(id) : undefined;
    if (!target || target.userId !== user.id) throw notFound('error.not_found.device');
    // One tap must not remove a device: the first POST asks, the confirming one acts.
    if (form.confirm !== 'yes') {
      const { t, count } = localeOf(ctx);
      const sessions = count('phone.devices.sessions', (await services.sessions.forDevice(target)).length);
      services.views.render(ctx, 'confirm.njk', {
        heading: t('phone.devices.confirm.heading', { device: target.name }),
        text: target.id === current.id ? t('phone.devices.confirm.text_this', { sessions }) : t('phone.devices.confirm.text', { sessions }),
        action: `/phone/devices/${target.id}/remove`,
        csrf: form.csrf,
        cancelHref: '/phone',
        confirmLabel: t('phone.devices.confirm.button'),
      });
      return;
    }
    await removeDevice(services, target, { accountId: user.id, deviceId: current.id, ip: clientAddress(ctx) });
    if (target.id === current.id) ctx.cookies.set(deviceCookieName(services.config), null, { path: '/' });
    ctx.status = 303;
    ctx.redirect(target.id === current.id ? '/phone' : '/phone?removed=1');
  };
}

/**
 * POST /phone/consents/:clientId/revoke — take back what an app was allowed: it asks again next
 * time, and the tokens it holds for this account now (refresh tokens included) stop working.
 */
export function revokeConsent(services: Services) {
  return async function revoke(ctx: Context): Promise<void> {
    const form = await readForm(ctx);
    const { user, device } = await requireDevice(services, ctx, form.csrf);
    const clientId = String(ctx.params.clientId ?? '');
    if (!CLIENT_ID.test(clientId) || !(await services.consents.find(user.id, clientId))) throw notFound('error.not_found.consent');
    await services.consents.forget(user.id, clientId);
    for (const uid of await services.sessions.ofAccount(user.id)) {
      const session = await services.provider.Session.findByUid(uid);
      const grantId = session?.authorizations?.[clientId]?.grantId;
      if (grantId) await revokeGrantTokens(services.store, grantId);
    }
    services.logger.info({ event: 'consent.revoked', accountId: user.id, clientId, byDevice: device.id, ip: clientAddress(ctx) }, 'consent.revoked');
    ctx.status = 303;
    ctx.redirect('/phone?consent=1');
  };
}

/** POST /phone/devices/:id/name — rename one of the user's devices. */
export function renameOwnDevice(services: Services) {
  return async function rename(ctx: Context): Promise<void> {
    const form = await readForm(ctx);
    const { user } = await requireDevice(services, ctx, form.csrf);
    const id = String(ctx.params.id ?? '');
    const target = ID.test(id) ? await services.devices.find(id) : undefined;
    if (!target || target.userId !== user.id) throw notFound('error.not_found.device');
    await services.devices.rename(target, String(form.name ?? ''));
    ctx.status = 303;
    ctx.redirect('/phone?renamed=1');
  };
}
