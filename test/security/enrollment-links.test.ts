import { generateKeyPair, exportJWK } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { disableUser, enableUser } from '../../src/accounts/user-lifecycle.js';
import { BrowserClient, field } from '../support/browser-client.js';
import { enrolledPhone, PHONE_UA } from '../support/phone.js';
import { type RunningQrid, startQrid } from '../support/start-qrid.js';

/**
 * Security suite, item 20 (see SECURITY.md): disabling a user voids every enrollment link they
 * had, for good: enabling them again does not bring a link back, on any way of enrolling
 * (the browser's enrollment page, the companion API). Links made after re-enabling work.
 */
describe('security: a disabled user\'s enrollment links stay dead', () => {
  let qrid: RunningQrid;

  beforeAll(async () => {
    qrid = await startQrid();
    await enrolledPhone(qrid, { username: 'root' }); // the first administrator
  });
  afterAll(async () => {
    await qrid.close();
  });

  it('[20] links issued before a disable are refused after re-enabling, by the enrollment page and by the companion API', async () => {
    const { users, enrollments } = qrid.qrid.services;
    const user = await users.create({ username: 'leaver' });
    const forBrowser = await enrollments.create('invite', user.id);
    const forCompanion = await enrollments.create('invite', user.id);
    await disableUser(qrid.qrid.services, user);
    await enableUser(qrid.qrid.services, (await users.find(user.id))!);

    const phone = new BrowserClient(qrid.issuer, PHONE_UA);
    const page = await phone.get(`/enroll/${forBrowser.token}`);
    expect(page.status).toBe(404);
    expect(page.text).toContain('not valid');
    expect(page.text).not.toContain('name="csrf"');

    const key = await exportJWK((await generateKeyPair('ES256', { extractable: true })).publicKey);
    const companion = await fetch(`${qrid.issuer}/api/companion/enroll`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', Accept: 'application/json' },
      body: JSON.stringify({ token: forCompanion.token, device_name: 'old link', public_key: key }),
    });
    expect(companion.status).toBe(404);
    expect(await qrid.qrid.services.devices.listForUser(user.id)).toEqual([]);

    // A link made after re-enabling works.
    const fresh = await enrollments.create('invite', user.id);
    const ok = await phone.get(`/enroll/${fresh.token}`);
    expect(ok.status).toBe(200);
    expect((await phone.postForm(`/enroll/${fresh.token}`, { csrf: field(ok.text, 'csrf'), device_name: 'new phone' })).status).toBe(303);
    expect(await qrid.qrid.services.devices.listForUser(user.id)).toHaveLength(1);
  });
});
