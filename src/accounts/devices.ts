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
  /** When the current session secret was issued. */
  secretIssuedAt: number;
  /** ES256 public key (JWK JSON) of a companion app, if it registered one. */
  publicKeyJwk: string;
}

const deviceKey = (id: string) => `device:${id}`;
const userDevicesKey = (userId: string) => `user-devices:${userId}`;
/** lastSeenAt is written at most this often, so that reading pages does not write every time. */
const TOUCH_INTERVAL_MS = 60 * 60 * 1000;
/** A device session's secret is replaced when used after this long (rotation on use). */
export const ROTATE_AFTER_MS = 24 * 60 * 60 * 1000;
/** The replaced secret still works this long, for requests already on their way. */
const ROTATION_GRACE_MS = 60 * 1000;

export class Devices {
  constructor(
    private readonly store: Store,
    private readonly sessionDays: number,
  ) {}

  /** Creates a device and returns the cookie value that signs it in: `<id>.<secret>`. */
  async create(userId: string, name: string, publicKeyJwk = ''): Promise<{ device: Device; cookieValue: string }> {
    const secret = randomToken(32);
    const now = Date.now();
    const device: Device = {
      id: randomToken(12),
      userId,
      name: name.trim().slice(0, 60) || 'Phone',
      createdAt: now,
      lastSeenAt: now,
      secretIssuedAt: now,
      publicKeyJwk,
    };
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
    const given = hashSecret(secret);
    const current = sameHash(fields.secretHash, given);
    const previous = !current && sameHash(fields.previousSecretHash ?? '', given) && Number(fields.previousValidUntil) > Date.now();
    if (!current && !previous) return undefined;
    const device = fromFields(fields);
    if (Date.now() - device.lastSeenAt > TOUCH_INTERVAL_MS) {
      device.lastSeenAt = Date.now();
      await this.store.patchRecord(deviceKey(id), { lastSeenAt: String(device.lastSeenAt) }, { ttlSeconds: this.#ttl() });
    }
    return device;
  }

  /**
   * Replaces the session secret (rotation on use). Returns the new cookie value, or undefined
   * if another request rotated it first (that request's cookie wins; ours stays valid briefly).
   */
  async rotate(device: Device, cookieValue: string): Promise<string | undefined> {
    const [, oldSecret] = cookieValue.split('.');
    const secret = randomToken(32);
    const rotated = await this.store.patchRecord(
      deviceKey(device.id),
      {
        secretHash: hashSecret(secret),
        previousSecretHash: hashSecret(oldSecret ?? ''),
        previousValidUntil: String(Date.now() + ROTATION_GRACE_MS),
        secretIssuedAt: String(Date.now()),
      },
      { ifMatch: { secretHash: hashSecret(oldSecret ?? '') }, ttlSeconds: this.#ttl() },
    );
    return rotated ? `${device.id}.${secret}` : undefined;
  }

  async rename(device: Device, name: string): Promise<void> {
    await this.store.patchRecord(deviceKey(device.id), { name: name.trim().slice(0, 60) || device.name });
  }

  /** Deletes the device record; ending its sessions is the caller's job (see remove-device.ts). */
  async delete(device: Device): Promise<void> {
    await this.store.deleteKeys([deviceKey(device.id)]);
    await this.store.removeFromIndex(userDevicesKey(device.userId), device.id);
  }

  async find(id: string): Promise<Device | undefined> {
    const fields = await this.store.getRecord(deviceKey(id));
    return fields ? fromFields(fields) : undefined;
  }

  async listForUser(userId: string): Promise<Device[]> {
    const devices = await Promise.all((await this.store.indexMembers(userDevicesKey(userId))).map((id) => this.find(id)));
    return devices.filter((d): d is Device => Boolean(d));
  }

  /** Backups: a user's devices as stored, their secrets' hashes included (their cookies keep working after a restore). */
  async exportRecords(userId: string): Promise<Fields[]> {
    const records = await this.store.getRecords((await this.store.indexMembers(userDevicesKey(userId))).map(deviceKey));
    return records.filter((r): r is Fields => Boolean(r));
  }

  async importRecord(fields: Fields): Promise<void> {
    const device = fromFields(fields);
    if (!device.id || !device.userId || !fields.secretHash) throw new Error('a device record needs an id, a user and a secret hash');
    await this.store.putRecord(deviceKey(device.id), fields, this.#ttl());
    await this.store.addToIndex(userDevicesKey(device.userId), device.id);
  }

  #ttl(): number {
    return this.sessionDays * 24 * 3600;
  }
}

function sameHash(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && x.length > 0 && timingSafeEqual(x, y);
}

function toFields(d: Device): Fields {
  return {
    id: d.id,
    userId: d.userId,
    name: d.name,
    createdAt: String(d.createdAt),
    lastSeenAt: String(d.lastSeenAt),
    secretIssuedAt: String(d.secretIssuedAt),
    publicKeyJwk: d.publicKeyJwk,
  };
}

function fromFields(f: Fields): Device {
  return {
    id: f.id ?? '',
    userId: f.userId ?? '',
    name: f.name ?? '',
    createdAt: Number(f.createdAt ?? 0),
    lastSeenAt: Number(f.lastSeenAt ?? 0),
    secretIssuedAt: Number(f.secretIssuedAt ?? f.createdAt ?? 0),
    publicKeyJwk: f.publicKeyJwk ?? '',
  };
}
