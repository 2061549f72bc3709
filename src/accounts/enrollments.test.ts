import { describe, expect, it } from 'vitest';

import { createLogger } from '../logging/logger.js';
import { hashSecret } from '../security/tokens.js';
import { MemoryStore } from '../store/memory-store.js';
import { Devices } from './devices.js';
import { enrollDevice } from './enroll-device.js';
import { Enrollments } from './enrollments.js';
import { Users } from './users.js';

function setup(linkSeconds = 900) {
  const store = new MemoryStore();
  const deps = {
    users: new Users(store),
    devices: new Devices(store, 30),
    enrollments: new Enrollments(store, linkSeconds),
    logger: createLogger('silent'),
  };
  return { store, ...deps, deps };
}

describe('enrollment', () => {
  it('stores links hashed and redeems each exactly once under concurrency', async () => {
    const { store, users, enrollments } = setup();
    const user = await users.create({ username: 'alice' });
    const { token } = await enrollments.create('invite', user.id);
    expect(await store.getRecord(`enrollment:${token}`)).toBeUndefined();
    expect(await store.getRecord(`enrollment:${hashSecret(token)}`)).toMatchObject({ kind: 'invite', userId: user.id });
    const results = await Promise.allSettled(Array.from({ length: 10 }, () => enrollments.redeem(token)));
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    await expect(enrollments.peek(token)).rejects.toMatchObject({ code: 'enrollment_used' });
  });

  it('refuses expired and unknown links', async () => {
    const { users, enrollments, store } = setup();
    const user = await users.create({ username: 'alice' });
    const { token } = await enrollments.create('invite', user.id);
    await store.patchRecord(`enrollment:${hashSecret(token)}`, { expiresAt: String(Date.now() - 1) });
    await expect(enrollments.redeem(token)).rejects.toMatchObject({ code: 'enrollment_expired' });
    await expect(enrollments.peek('x'.repeat(22))).rejects.toMatchObject({ code: 'enrollment_unknown' });
  });

  it('enrolls a device whose cookie authenticates it, and only it', async () => {
    const { deps, users, enrollments, devices } = setup();
    const user = await users.create({ username: 'alice' });
    const { token } = await enrollments.create('invite', user.id);
    const { device, cookieValue } = await enrollDevice(deps, { token, deviceName: ' My phone ', ip: '127.0.0.1' });
    expect(device.name).toBe('My phone');
    expect((await devices.authenticate(cookieValue))?.id).toBe(device.id);
    const [id, secret] = cookieValue.split('.');
    expect(await devices.authenticate(`${id}.${secret}x`)).toBeUndefined();
    expect(await devices.authenticate(`${id}`)).toBeUndefined();
    expect(await devices.authenticate(`${id}.${secret}.x`)).toBeUndefined();
    expect(await devices.authenticate(undefined)).toBeUndefined();
  });

  it('creates the first administrator only while there are no users, validating before it burns the link', async () => {
    const { deps, enrollments, users } = setup();
    const { token } = await enrollments.create('setup');
    await expect(enrollDevice(deps, { token, deviceName: 'p', newAdmin: { username: 'Bad Name' }, ip: '::1' })).rejects.toMatchObject({ code: 'invalid_username' });
    const { user } = await enrollDevice(deps, { token, deviceName: 'p', newAdmin: { username: 'root', name: 'Root' }, ip: '::1' });
    expect(user).toMatchObject({ username: 'root', admin: true });
    const { token: second } = await enrollments.create('setup');
    await expect(enrollDevice(deps, { token: second, deviceName: 'p', newAdmin: { username: 'other' }, ip: '::1' })).rejects.toMatchObject({ code: 'setup_done' });
    expect(await users.count()).toBe(1);
  });

  it('refuses an invite for a disabled user', async () => {
    const { deps, users, enrollments, store } = setup();
    const user = await users.create({ username: 'alice' });
    const { token } = await enrollments.create('invite', user.id);
    await store.patchRecord(`user:${user.id}`, { disabled: '1' });
    await expect(enrollDevice(deps, { token, deviceName: 'p', ip: '::1' })).rejects.toMatchObject({ code: 'user_disabled' });
  });
});
