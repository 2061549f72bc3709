import type { Device } from '../accounts/devices.js';
import type { User } from '../accounts/users.js';
import { approximateNetwork, describeUserAgent } from '../http/describe-client.js';
import type { Services } from '../services.js';

/** Sessions shown as recent approvals (with "This wasn't me") for this long. */
const RECENT_MS = 24 * 60 * 60 * 1000;

export interface SessionView {
  uid: string;
  apps: string;
  browser: string;
  os: string;
  ip: string;
  network: string;
  started: string;
  lastUsed: string;
  approvedBy: string;
  recent: boolean;
}

export function formatTime(ms: number): string {
  return ms ? `${new Date(ms).toISOString().slice(0, 16).replace('T', ' ')} UTC` : 'unknown';
}

/** The user's live browser sessions, newest first; stale index entries are dropped on the way. */
export async function sessionViews(services: Services, user: User, devices: Device[]): Promise<SessionView[]> {
  const names = new Map(devices.map((d) => [d.id, d.name]));
  const views: Array<SessionView & { at: number }> = [];
  for (const [uid, record] of await services.sessions.records(user.id)) {
    const session = await services.provider.Session.findByUid(uid);
    if (!session?.accountId) {
      await services.sessions.remove(uid, user.id);
      continue;
    }
    const clientNames = await Promise.all(
      Object.keys(session.authorizations ?? {}).map(async (id) => (await services.provider.Client.find(id))?.clientName ?? id),
    );
    const { browser, os } = describeUserAgent(record.userAgent);
    const startedAt = record.startedAt;
    views.push({
      uid,
      apps: clientNames.join(', ') || 'no app yet',
      browser,
      os,
      ip: record.ip,
      network: approximateNetwork(record.ip),
      started: formatTime(startedAt),
      lastUsed: formatTime(record.lastUsedAt),
      approvedBy: record.deviceId ? (names.get(record.deviceId) ?? 'a removed device') : 'unknown device',
      recent: Date.now() - startedAt < RECENT_MS,
      at: startedAt,
    });
  }
  return views.sort((a, b) => b.at - a.at);
}
