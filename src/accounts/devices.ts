import { timingSafeEqual } from 'node:crypto';

import { hashSecret, randomToken } from '../security/tokens.js';
import type { Fields, Store } from '../store/store.js';

/**
 * Enrolled devices (the user's phones). A device proves itself with a long-lived session
 * secret kept in an HttpOnly cookie; the store keeps only the secret's hash.
 */
export interface Device {
  id: string;
  userId: string;
  name: string;
  createdAt: number;
  lastSeenAt: number;
}

const deviceKey = (id: string) => `device:${id}`;
const userDevicesKey = (userId: string) => `user-devices:${userId}`;
/** lastSeenAt is written at most this often, so that reading pages does not write every time. */
const TOUCH_INTERVAL_MS = 60 * 60 * 1000;

export class Devices {
  constructor(
    private readonly store: Store,
    private readonly sessionDays: number,
  ) {}

  /** Creates a device and returns the cookie value that signs it in: `<id>.<secret>`. */
  async create(userId: string, name: string): Promise<{ device: Device; cookieValue: string }> {
    const secret = randomToken(32);
    const now = Date.now();
    const device: Device = { id: randomToken(12), userId, name: name.trim().slice(0, 60) || 'Phone', createdAt: now, lastSeenAt: now };
    await this.store.putRecord(deviceKey(device.id), { ...toFields(device), secretHash: hashSecret(secret) }, this.#ttl());
    await this.store.addToIndex(userDevicesKey(userId), device.id);
    return { device, cookieValue: `${device.id}.${secret}` };
  }

  /** The device a session cookie belongs to, if the cookie is genuine and the device still exists. */
  async authenticate(cookieValue: string | undefined): Promise<Device | undefined> {
    if (!cookieValue || cookieValue.length > 200) return undefined;
    const [id, secret, extra] = cookieValue.split('.');
    if (!id || !secret || extra !== undefined) return undefined;
    const fields = await this.store.getRecord(deviceKey(id));
    if (!fields?.secretHash) return undefined;
    const expected = Buffer.from(fields.secretHash);
    const given = Buffer.from(hashSecret(secret));
    if (expected.length !== given.length || !timingSafeEqual(expected, given)) return undefined;
    const device = fromFields(fields);
    if (Date.now() - device.lastSeenAt > TOUCH_INTERVAL_MS) {
      device.lastSeenAt = Date.now();
      await this.store.patchRecord(deviceKey(id), { lastSeenAt: String(device.lastSeenAt) }, { ttlSeconds: this.#ttl() });
    }
    return device;
  }

  async find(id: string): Promise<Device | undefined> {
    const fields = await this.store.getRecord(deviceKey(id));
    return fields ? fromFields(fields) : undefined;
  }

  async listForUser(userId: string): Promise<Device[]> {
    const devices = await Promise.all((await this.store.indexMembers(userDevicesKey(userId))).map((id) => this.find(id)));
    return devices.filter((d): d is Device => Boolean(d));
  }

  #ttl(): number {
    return this.sessionDays * 24 * 3600;
  }
}

function toFields(d: Device): Fields {
  return { id: d.id, userId: d.userId, name: d.name, createdAt: String(d.createdAt), lastSeenAt: String(d.lastSeenAt) };
}

function fromFields(f: Fields): Device {
  return {
    id: f.id ?? '',
    userId: f.userId ?? '',
    name: f.name ?? '',
    createdAt: Number(f.createdAt ?? 0),
    lastSeenAt: Number(f.lastSeenAt ?? 0),
  };
}
