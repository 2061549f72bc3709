import type { Context } from 'koa';

import type { Device } from '../accounts/devices.js';
import type { User } from '../accounts/users.js';
import { grantOfRecord } from '../accounts/end-session.js';
import { localeOf } from '../i18n/locale.js';
import type { Services } from '../services.js';
import { describeRequester } from '../web/describe-requester.js';

/** Sessions shown as recent approvals (with "This wasn't me") for this long. */
const RECENT_MS = 24 * 60 * 60 * 1000;

export interface SessionView {
  uid: string;
  apps: string;
  /** Where it was signed in: "Chrome on Android", or an app's direct request. */
  from: string;
  browser: string;
  os: string;
  ip: string;
  startedAt: number;
  lastUsedAt: number;
  approvedBy: string;
  recent: boolean;
}

/** The user's live browser sessions, newest first; stale index entries are dropped on the way. */
export async function sessionViews(services: Services, ctx: Context, user: User, devices: Device[]): Promise<SessionView[]> {
  const locale = localeOf(ctx);
  const names = new Map(devices.map((d) => [d.id, d.name]));
  const views: SessionView[] = [];
  for (const [uid, record] of await services.sessions.records(user.id)) {
    const grantId = grantOfRecord(uid);
    if (grantId) {
      // An app's direct request (CIBA): there is no browser; it lives as long as its grant.
      if (!(await services.provider.Grant.find(grantId))) {
        await services.sessions.remove(uid, user.id);
        continue;
      }
      views.push({
        uid,
        apps: (await services.provider.Client.find(record.clientId ?? ''))?.clientName ?? record.clientId ?? '',
        from: locale.t('phone.session.direct_request'),
        browser: '',
        os: '',
        ip: record.ip,
        startedAt: record.startedAt,
        lastUsedAt: record.lastUsedAt,
        approvedBy: record.deviceId ? (names.get(record.deviceId) ?? locale.t('phone.session.removed_device')) : locale.t('phone.session.unknown_device'),
        recent: Date.now() - record.startedAt < RECENT_MS,
      });
      continue;
    }
    const session = await services.provider.Session.findByUid(uid);
    if (!session?.accountId) {
      await services.sessions.remove(uid, user.id);
      continue;
    }
    const clientNames = await Promise.all(
      Object.keys(session.authorizations ?? {}).map(async (id) => (await services.provider.Client.find(id))?.clientName ?? id),
    );
    const requester = describeRequester(locale, record.userAgent);
    views.push({
      uid,
      apps: clientNames.join(', ') || locale.t('phone.session.no_app'),
      ...requester,
      from: locale.t('client.browser_on_os', { browser: requester.browser, os: requester.os }),
      ip: record.ip,
      startedAt: record.startedAt,
      lastUsedAt: record.lastUsedAt,
      approvedBy: record.deviceId ? (names.get(record.deviceId) ?? locale.t('phone.session.removed_device')) : locale.t('phone.session.unknown_device'),
      recent: Date.now() - record.startedAt < RECENT_MS,
    });
  }
  return views.sort((a, b) => b.startedAt - a.startedAt);
}
