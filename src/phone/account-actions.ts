import type { Context } from 'koa';

import { endSession } from '../accounts/end-session.js';
import type { SessionRecord } from '../accounts/session-records.js';
import { removeDevice } from '../accounts/remove-device.js';
import { notFound } from '../errors/qrid-error.js';
import { readForm } from '../http/read-form.js';
import type { Services } from '../services.js';
import { deviceCookieName } from './device-session.js';
import { requireDevice } from './require-device.js';
import { clientAddress } from '../http/client-address.js';

const ID = /^[A-Za-z0-9_-]{1,64}$/;

/** The session a route names and qrid's record of it, only if it is the signed-in user's own. */
async function ownSession(services: Services, ctx: Context, accountId: string): Promise<{ uid: string; record: SessionRecord }> {
  const uid = String(ctx.params.uid ?? '');
  const record = ID.test(uid) ? (await services.sessions.records(accountId)).get(uid) : undefined;
  if (!record) throw notFound('That session does not exist or has already ended.');
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
    if (!target || target.userId !== user.id) throw notFound('That device does not exist or was already removed.');
    await removeDevice(services, target, { accountId: user.id, deviceId: current.id, ip: clientAddress(ctx) });
    if (target.id === current.id) ctx.cookies.set(deviceCookieName(services.config), null, { path: '/' });
    ctx.status = 303;
    ctx.redirect(target.id === current.id ? '/phone' : '/phone?removed=1');
  };
}

/** POST /phone/devices/:id/name — rename one of the user's devices. */
export function renameOwnDevice(services: Services) {
  return async function rename(ctx: Context): Promise<void> {
    const form = await readForm(ctx);
    const { user } = await requireDevice(services, ctx, form.csrf);
    const id = String(ctx.params.id ?? '');
    const target = ID.test(id) ? await services.devices.find(id) : undefined;
    if (!target || target.userId !== user.id) throw notFound('That device does not exist or was already removed.');
    await services.devices.rename(target, String(form.name ?? ''));
    ctx.status = 303;
    ctx.redirect('/phone?renamed=1');
  };
}
