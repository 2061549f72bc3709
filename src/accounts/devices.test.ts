import { describe, expect, it } from 'vitest';

import { MemoryStore } from '../store/memory-store.js';
import { Devices } from './devices.js';

describe('device sessions', () => {
  it('rotates the secret on use: the new one works, the old one only for a short grace', async () => {
    const store = new MemoryStore();
    const devices = new Devices(store, 30);
    const { device, cookieValue } = await devices.create('user-1', 'Phone');
    const rotated = await devices.rotate(device, cookieValue);
    expect(rotated).toMatch(new RegExp(`^${device.id}\\.`));
    expect(rotated).not.toBe(cookieValue);
    expect((await devices.authenticate(rotated))?.id).toBe(device.id);
    expect((await devices.authenticate(cookieValue))?.id).toBe(device.id); // in flight, still fine
    await store.patchRecord(`device:${device.id}`, { previousValidUntil: String(Date.now() - 1) });
    expect(await devices.authenticate(cookieValue)).toBeUndefined();
    expect((await devices.authenticate(rotated))?.id).toBe(device.id);
  });

  it('lets only one of two racing rotations win', async () => {
    const devices = new Devices(new MemoryStore(), 30);
    const { device, cookieValue } = await devices.create('user-1', 'Phone');
    const results = await Promise.all([devices.rotate(device, cookieValue), devices.rotate(device, cookieValue)]);
    expect(results.filter(Boolean)).toHaveLength(1);
  });

  it('stores only the hash of the secret and forgets deleted devices', async () => {
    const store = new MemoryStore();
    const devices = new Devices(store, 30);
    const { device, cookieValue } = await devices.create('user-1', 'Phone');
    const secret = cookieValue.split('.')[1] as string;
    expect(JSON.stringify(await store.getRecord(`device:${device.id}`))).not.toContain(secret);
    await devices.delete(device);
    expect(await devices.authenticate(cookieValue)).toBeUndefined();
    expect(await devices.listForUser('user-1')).toEqual([]);
  });
});
