import type { Agent } from 'node:https';

import webpush from 'web-push';

import type { Devices } from '../accounts/devices.js';
import type { Language } from '../i18n/catalogues.js';
import type { Logger } from '../logging/logger.js';
import type { PushSubscriptions } from './push-subscriptions.js';
import type { VapidKeyStore } from './vapid-keys.js';

/** What a notification says: as little as the lock screen may show (push.lock_screen). */
export interface PushMessage {
  /** The text, in the language the device subscribed in. */
  body: (lang: Language) => string;
  /** The qrid page the notification opens (a path). */
  url: string;
  /** Notifications with the same tag replace each other (one per request). */
  tag: string;
  /** Seconds the push service may hold it for an offline phone: the request's own lifetime. */
  ttlSeconds: number;
}

/**
 * Sends Web Push messages (RFC 8030, payload encrypted per RFC 8291, signed per RFC 8292) to an
 * account's devices that opted in, with the `web-push` library. A subscription the push service
 * says is gone (404, 410) is forgotten; any other failure is logged and does not stop the
 * others (the inbox on /phone still lists the request).
 */
export class PushNotifier {
  constructor(
    private readonly deps: { devices: Pick<Devices, 'listForUser'>; subscriptions: PushSubscriptions; vapid: VapidKeyStore; logger: Logger; subject: string; agent?: Agent },
  ) {}

  /** The key browsers subscribe with (`applicationServerKey`). */
  async publicKey(): Promise<string> {
    return (await this.deps.vapid.get()).publicKey;
  }

  async notifyAccount(accountId: string, message: PushMessage): Promise<number> {
    const { devices, subscriptions, vapid, logger, subject, agent } = this.deps;
    const keys = await vapid.get();
    let sent = 0;
    await Promise.all(
      (await devices.listForUser(accountId)).map(async (device) => {
        const stored = await subscriptions.find(device.id);
        if (!stored) return;
        try {
          const payload = { title: 'qrid', body: message.body(stored.lang), url: message.url, tag: message.tag };
          await webpush.sendNotification(stored.subscription, JSON.stringify(payload), {
            vapidDetails: { subject, publicKey: keys.publicKey, privateKey: keys.privateKey },
            TTL: Math.max(0, Math.round(message.ttlSeconds)),
            urgency: 'high',
            timeout: 10_000,
            ...(agent ? { agent } : {}),
          });
          sent += 1;
        } catch (error) {
          const status = (error as { statusCode?: number }).statusCode;
          if (status === 404 || status === 410) {
            await subscriptions.remove(device.id);
            logger.info({ event: 'push.subscription_gone', deviceId: device.id, accountId }, 'push.subscription_gone');
          } else {
            logger.warn({ event: 'push.failed', deviceId: device.id, accountId, status, err: error instanceof Error ? error.message : String(error) }, 'push.failed');
          }
        }
      }),
    );
    return sent;
  }
}
