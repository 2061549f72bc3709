import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { hashSecret } from '../../src/security/tokens.js';
import { BrowserClient, field } from '../support/browser-client.js';
import { adminConsole } from '../support/admin-console.js';
import { answerQr, enrolledPhone, PHONE_UA, readQrPage } from '../support/phone.js';
import { signIn } from '../support/sign-in.js';
import { RelyingParty } from '../support/relying-party.js';
import { type RunningQrid, startQrid } from '../support/start-qrid.js';

describe('admin console and user lifecycle', () => {
  let qrid: RunningQrid;
  let adminPhone: BrowserClient;

  beforeAll(async () => {
    qrid = await startQrid();
    ({ phone: adminPhone } = await enrolledPhone(qrid, { username: 'root', name: 'Root Admin' })); // the setup link: an admin
  });
  afterAll(async () => {
    await qrid.close();
  });

  async function enrollWith(url: string): Promise<BrowserClient> {
    const phone = new BrowserClient(qrid.issuer, PHONE_UA);
    const path = new URL(url).pathname;
    const page = await phone.get(path);
    expect(page.status, page.text).toBe(200);
    expect((await phone.postForm(path, { csrf: field(page.text, 'csrf'), device_name: 'phone' })).status).toBe(303);
    return phone;
  }

  it('an administrator on a desktop signs in by QR, creates a user and hands out an enrollment link', async () => {
    const desktop = new BrowserClient(qrid.issuer);
    expect((await desktop.get('/admin')).text).toContain('Sign in as an administrator');
    const qrPage = await desktop.follow(await desktop.get('/admin/login'));
    const waiting = readQrPage(qrPage);
    expect(waiting.html).toContain('qrid admin');
    await answerQr(adminPhone, waiting.qrUrl);
    const console = await desktop.follow(await desktop.postForm(`/interaction/${waiting.uid}/complete`, { csrf: waiting.csrf }));
    expect(console.url).toBe(`${qrid.issuer}/admin`);
    expect(console.status).toBe(200);
    expect(console.text).toContain('Signed in as Root Admin (root)');

    const created = await desktop.postForm('/admin/users', { csrf: field(console.text, 'csrf'), username: 'zoe', name: 'Zoe', email: 'zoe@example.com' });
    expect(created.status).toBe(200);
    const url = /id="invite-url"[^>]*>([^<]+)</.exec(created.text)?.[1] as string;
    expect(url).toMatch(/\/enroll\/[\w-]{22}$/);
    const zoe = await enrollWith(url);
    expect((await zoe.get('/phone')).text).toContain('Signed in as Zoe');
  });

  it('asks for a fresh approval: a browser signed in to qrid for another app, or the admin\'s own phone, is not in the console; sign-out ends it (security: shared computers)', async () => {
    // A desktop where the administrator signed in to an ordinary app.
    const desktop = new BrowserClient(qrid.issuer);
    const rp = await RelyingParty.discover(qrid.issuer);
    await signIn(desktop, adminPhone, rp);
    expect((await desktop.get('/admin')).text).toContain('Sign in as an administrator');
    expect((await adminPhone.get('/admin')).text).toContain('Sign in as an administrator');
    // Its console sign-in is a new approval (prompt=login), even with a live qrid session.
    const again = await desktop.follow(await desktop.get('/admin/login'));
    expect(again.text).toContain('id="qr"');

    const { desktop: console, page } = await adminConsole(qrid, adminPhone);
    expect(page.text).toContain('Sign out of the admin console');
    const out = await console.postForm('/admin/logout', { csrf: field(page.text, 'csrf') });
    expect(out.status).toBe(303);
    expect((await console.follow(out)).text).toContain('You are signed out of the admin console');
    expect((await console.get('/admin')).text).toContain('Sign in as an administrator');
    // The qrid sign-in its approval made in that browser is over too.
    const silent = await console.follow(await console.get(await new RelyingParty(rp).authorizationUrl({ prompt: 'none' })));
    expect(silent.location).toMatch(/error=login_required/);
  });

  it('keeps non-administrators out', async () => {
    const user = await qrid.qrid.services.users.create({ username: 'plain' });
    const { token } = await qrid.qrid.services.enrollments.create('invite', user.id);
    const plain = await enrollWith(`${qrid.issuer}/enroll/${token}`);
    expect((await plain.get('/admin')).text).toContain('Sign in as an administrator');
    const csrf = field((await adminConsole(qrid, adminPhone)).page.text, 'csrf');
    expect((await plain.postForm('/admin/users', { csrf, username: 'sneaky' })).status).toBe(403);
    // A non-administrator who approves the console's sign-in is refused too.
    const desktop = new BrowserClient(qrid.issuer);
    const waiting = readQrPage(await desktop.follow(await desktop.get('/admin/login')));
    await answerQr(plain, waiting.qrUrl);
    const refused = await desktop.follow(await desktop.postForm(`/interaction/${waiting.uid}/complete`, { csrf: waiting.csrf }));
    expect(refused.status).toBe(403);
    expect((await desktop.get('/admin')).text).toContain('Sign in as an administrator');
    expect(await qrid.qrid.services.users.findByUsername('sneaky')).toBeUndefined();
  });

  it('disabling a user ends their sessions, removes their devices and voids their links', async () => {
    const user = await qrid.qrid.services.users.create({ username: 'leaver', name: 'Leaver' });
    const first = await qrid.qrid.services.enrollments.create('invite', user.id);
    const phone = await enrollWith(`${qrid.issuer}/enroll/${first.token}`);
    const pending = await qrid.qrid.services.enrollments.create('invite', user.id);

    const rp = await RelyingParty.discover(qrid.issuer);
    const desktop = new BrowserClient(qrid.issuer);
    const waiting = readQrPage(await desktop.follow(await desktop.get(await rp.authorizationUrl())));
    await answerQr(phone, waiting.qrUrl);
    let page = await desktop.follow(await desktop.postForm(`/interaction/${waiting.uid}/complete`, { csrf: waiting.csrf }));
    const consentUid = /action="\/interaction\/([^/]+)\/consent"/.exec(page.text)?.[1] as string;
    page = await desktop.follow(await desktop.postForm(`/interaction/${consentUid}/consent`, { csrf: field(page.text, 'csrf'), decision: 'allow' }));
    expect(page.location).toContain('code=');

    const { desktop: console, page: adminPage } = await adminConsole(qrid, adminPhone);
    // One tap only asks.
    const asked = await console.postForm(`/admin/users/${user.id}/disable`, { csrf: field(adminPage.text, 'csrf') });
    expect(asked.status).toBe(200);
    expect(asked.text).toContain('Disable leaver?');
    expect((await qrid.qrid.services.users.find(user.id))?.disabled).toBe(false);
    expect((await console.postForm(`/admin/users/${user.id}/disable`, { csrf: field(asked.text, 'csrf'), confirm: 'yes' })).status).toBe(303);

    const silent = await desktop.follow(await desktop.get(await new RelyingParty(rp).authorizationUrl({ prompt: 'none' })));
    expect(silent.location).toMatch(/error=login_required/);
    expect((await phone.get('/phone')).text).toContain('not signed in');
    expect(await qrid.qrid.services.devices.listForUser(user.id)).toEqual([]);
    const voided = await new BrowserClient(qrid.issuer).get(`/enroll/${pending.token}`);
    expect(voided.status).toBe(404);
    const posted = await new BrowserClient(qrid.issuer).postForm(`/enroll/${pending.token}`, { csrf: 'x'.repeat(43) });
    expect(posted.status).toBe(403);
    expect((await qrid.qrid.services.users.find(user.id))?.disabled).toBe(true);
  });

  it('refuses enrollment link replay and expiry over HTTP', async () => {
    const user = await qrid.qrid.services.users.create({ username: 'once' });
    const { token } = await qrid.qrid.services.enrollments.create('invite', user.id);
    const page = await new BrowserClient(qrid.issuer).get(`/enroll/${token}`);
    const csrf = field(page.text, 'csrf');
    const winners = await Promise.all(
      Array.from({ length: 5 }, () => new BrowserClient(qrid.issuer).postForm(`/enroll/${token}`, { csrf, device_name: 'x' })),
    );
    expect(winners.filter((w) => w.status === 303)).toHaveLength(1);
    expect(winners.filter((w) => w.status === 409)).toHaveLength(4);
    expect((await new BrowserClient(qrid.issuer).get(`/enroll/${token}`)).text).toContain('already used');

    const late = await qrid.qrid.services.enrollments.create('invite', user.id);
    await qrid.store.patchRecord(`enrollment:${hashSecret(late.token)}`, { expiresAt: String(Date.now() - 1) });
    const expired = await new BrowserClient(qrid.issuer).get(`/enroll/${late.token}`);
    expect(expired.status).toBe(410);
    expect(expired.text).toContain('expired');
  });
});
