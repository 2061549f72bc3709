import { QridError } from '../errors/qrid-error.js';
import { DEFAULT_LANGUAGE, isLanguage, type Language } from '../i18n/catalogues.js';
import type { Store } from '../store/store.js';

/**
 * Where each enrolled device that opted in receives push messages: its browser's
 * PushSubscription (endpoint and encryption keys), one per device. The endpoint must be a push
 * service qrid is configured to trust (`push.endpoint_hosts`): a device cookie must not be able
 * to make qrid send requests anywhere else.
 */
export interface PushSubscription {
  endpoint: string;
  keys: { p256dh: string; auth: string };
}

/** A device's subscription, and the language its notifications are written in. */
export interface StoredSubscription {
  subscription: PushSubscription;
  lang: Language;
}

const subscriptionKey = (deviceId: string) => `push-subscription:${deviceId}`;
const BASE64URL = /^[A-Za-z0-9_-]+$/;

export class PushSubscriptions {
  constructor(
    private readonly store: Store,
    private readonly endpointHosts: readonly string[],
  ) {}

  /** Checks a browser's subscription JSON and keeps it for the device. */
  async save(deviceId: string, input: unknown, lang: Language): Promise<void> {
    await this.store.putRecord(subscriptionKey(deviceId), { json: JSON.stringify(this.valid(input)), lang, createdAt: String(Date.now()) });
  }

  async find(deviceId: string): Promise<StoredSubscription | undefined> {
    const record = await this.store.getRecord(subscriptionKey(deviceId));
    if (!record?.json) return undefined;
    return { subscription: JSON.parse(record.json) as PushSubscription, lang: isLanguage(record.lang) ? record.lang : DEFAULT_LANGUAGE };
  }

  async remove(deviceId: string): Promise<void> {
    await this.store.deleteKeys([subscriptionKey(deviceId)]);
  }

  valid(input: unknown): PushSubscription {
    const sub = input as { endpoint?: unknown; keys?: { p256dh?: unknown; auth?: unknown } } | undefined;
    let endpoint: URL;
    try {
      endpoint = new URL(String(sub?.endpoint ?? ''));
    } catch {
      throw invalid('the endpoint is not a URL');
    }
    const host = endpoint.hostname.toLowerCase();
    if (endpoint.protocol !== 'https:' || !this.endpointHosts.some((allowed) => host === allowed || host.endsWith(`.${allowed}`))) {
      throw invalid(`${endpoint.origin} is not a push service qrid sends to`);
    }
    const p256dh = String(sub?.keys?.p256dh ?? '');
    const auth = String(sub?.keys?.auth ?? '');
    if (!BASE64URL.test(p256dh) || Buffer.from(p256dh, 'base64url').length !== 65) throw invalid('keys.p256dh is not a P-256 public key');
    if (!BASE64URL.test(auth) || Buffer.from(auth, 'base64url').length !== 16) throw invalid('keys.auth is not a 16-byte secret');
    return { endpoint: endpoint.href, keys: { p256dh, auth } };
  }
}

const invalid = (reason: string) => new QridError(400, 'push_subscription_invalid', { params: { reason } });
