import type { Browser, BrowserContext, Page } from 'playwright-core';
import { beforeAll, describe, expect, it } from 'vitest';

import { axeEverywhere, VIEWPORTS } from '../support/axe.js';
import { PHONE_CONTEXT } from '../support/chromium.js';
import { withQridInChromium } from '../support/qrid-in-chromium.js';
import type { RunningQrid } from '../support/start-qrid.js';

/**
 * Every page qrid renders, in each of its states, checked by axe-core for WCAG 2.1 A/AA in a
 * desktop and a phone viewport, light and dark: no violation anywhere. The desktop and the phone
 * sit on different networks (X-Forwarded-For through the proxy setting), so approvals show the
 * network warning and number matching; a second phone on the desktop's network shows the plain
 * approval page.
 */
describe('accessibility: axe on every page and state (WCAG 2.1 A/AA)', () => {
  let qrid: RunningQrid;
  let browser: Browser;
  const fixture = withQridInChromium({ proxy: true, qr: { auto_rotations: 0 } });
  beforeAll(() => void ({ qrid, browser } = fixture));

  const on = (ip: string, options: Parameters<Browser['newContext']>[0] = {}) =>
    browser.newContext({ ...options, extraHTTPHeaders: { 'X-Forwarded-For': ip } });
  const qrUrlOf = async (page: Page) => (await page.locator('#qr').getAttribute('data-qr-url')) as string;
  const stateOf = (page: Page) => page.locator('#qr-page').getAttribute('data-state');
  /** Buttons that share an accessible name on one page. */
  const repeatedButtonNames = (page: Page) =>
    page.evaluate(() => {
      const names = [...document.querySelectorAll('button')].filter((b) => !b.closest('[hidden]')).map((b) => (b.getAttribute('aria-label') ?? b.textContent ?? '').trim());
      return names.filter((name, i) => names.indexOf(name) !== i);
    });

  it('finds no violation on any page, desktop and phone, light and dark', async () => {
    const found: string[] = [];
    const check = async (page: Page, label: string) => found.push(...(await axeEverywhere(page, label)));
    const desktopContext: BrowserContext = await on('198.51.100.7', { viewport: VIEWPORTS.desktop });
    const phoneContext = await on('203.0.113.9', PHONE_CONTEXT);
    const desktop = await desktopContext.newPage();
    const phone = await phoneContext.newPage();

    // The phone: not signed in, then the setup link, then its home.
    const stranger = await (await on('203.0.113.50', PHONE_CONTEXT)).newPage();
    await stranger.goto(`${qrid.issuer}/phone`);
    await check(stranger, 'phone not signed in');
    const { token } = await qrid.qrid.services.enrollments.create('setup');
    await phone.goto(`${qrid.issuer}/enroll/${token}`);
    await check(phone, 'enrollment (setup)');
    await phone.getByLabel('Username').fill('ada');
    await phone.getByLabel('Full name').fill('Ada Lovelace');
    await phone.getByRole('button', { name: /Create administrator/ }).click();
    await phone.waitForURL(/\/phone\?enrolled=1/);
    await check(phone, 'phone home (just enrolled)');

    // The desktop: the demo app, the QR page, a code to type.
    await desktop.goto(`${qrid.issuer}/demo`);
    await check(desktop, 'demo app');
    await desktop.getByRole('button', { name: 'Sign in with qrid' }).click();
    await desktop.waitForSelector('#qr svg');
    await check(desktop, 'QR page (waiting)');
    await desktop.getByText("Can't scan? Type a code instead").click();
    await expect.poll(() => desktop.locator('#typed-code').textContent()).toMatch(/^[A-Z]{4}-[A-Z]{4}$/);
    await check(desktop, 'QR page (code to type)');

    // A wrong typed code: the phone's form with the error beside the field.
    await phone.goto(`${qrid.issuer}/phone`);
    await phone.getByLabel('Or type the code shown on the computer').fill('ZZZZ-ZZZZ');
    await phone.getByRole('button', { name: 'Continue' }).click();
    await phone.waitForSelector('#code-error');
    await check(phone, 'phone home (wrong code)');

    // Scanned from another network: warning and number matching; then denied.
    await phone.goto(await qrUrlOf(desktop));
    await check(phone, 'approval (other network, number matching)');
    await expect.poll(() => stateOf(desktop)).toBe('scanned');
    await check(desktop, 'QR page (scanned, number shown)');
    await phone.getByRole('button', { name: 'Deny' }).click();
    await check(phone, 'phone: denied');
    await expect.poll(() => stateOf(desktop)).toBe('denied');
    await check(desktop, 'QR page (denied)');

    // Try again, approve with the right number, consent, signed in.
    await desktop.getByRole('button', { name: 'Try again' }).click();
    await expect.poll(() => stateOf(desktop)).toBe('waiting');
    await phone.goto(await qrUrlOf(desktop));
    await expect.poll(() => desktop.locator('#match-number').textContent()).toMatch(/^\d{2}$/);
    await phone.getByLabel((await desktop.locator('#match-number').textContent()) as string).check();
    await phone.getByRole('button', { name: 'Approve' }).click();
    await check(phone, 'phone: approved');
    await desktop.waitForSelector('form[action$="/consent"]');
    await check(desktop, 'consent');
    await desktop.getByRole('button', { name: 'Allow' }).click();
    await desktop.waitForSelector('#claims');
    await check(desktop, 'demo app (signed in)');
    await phone.goto(`${qrid.issuer}/phone`);
    await check(phone, 'phone home (sessions, apps, devices)');
    // Repeated controls are told apart by their accessible names ("This wasn't me: <app>, <browser>").
    expect(await repeatedButtonNames(phone)).toEqual([]);

    // qrid's "Sign out?", asked of a request without an id_token_hint (left unanswered here).
    await desktop.goto(`${qrid.issuer}/session/end?client_id=qrid-demo`);
    await desktop.waitForSelector('button[name="logout"]');
    await check(desktop, 'sign-out confirmation');
    await desktop.goto(`${qrid.issuer}/demo`);
    await desktop.waitForSelector('#claims');

    // Signing out at the app: the demo sends its id_token_hint, so qrid's page signs out by
    // itself; held here (its script blocked) to be checked, then continued by hand.
    await desktop.route('**/static/auto-submit.js', (route) => route.abort());
    await desktop.getByRole('button', { name: 'Sign out' }).click();
    await desktop.waitForSelector('button[data-auto-submit]');
    await check(desktop, 'signing out');
    await desktop.getByRole('button', { name: 'Continue' }).click();
    await desktop.waitForURL(/\/demo/);
    await desktop.unroute('**/static/auto-submit.js');

    // Error pages: qrid's own and a protocol error from oidc-provider.
    await desktop.goto(`${qrid.issuer}/q/${'x'.repeat(21)}.${'y'.repeat(22)}`);
    await check(desktop, 'error page');
    await desktop.goto(`${qrid.issuer}/auth?client_id=nope&response_type=code`);
    await check(desktop, 'protocol error page');
    await desktop.goto(`${qrid.issuer}/session/end/success`);
    await check(desktop, 'signed out');

    // The QR page asking for more time (no automatic new codes here), and expired.
    const waiting = await desktopContext.newPage();
    await waiting.clock.install();
    await waiting.goto(`${qrid.issuer}/demo`);
    await waiting.getByRole('button', { name: 'Sign in with qrid' }).click();
    await waiting.waitForSelector('#qr svg');
    await waiting.clock.fastForward(65_000);
    await expect.poll(() => waiting.locator('#more-time').isVisible()).toBe(true);
    await check(waiting, 'QR page (more time)');
    const uid = (await waiting.locator('#qr-page').getAttribute('data-uid')) as string;
    await qrid.store.patchRecord(`approval:${uid}`, { expiresAt: String(Date.now() - 1) });
    await waiting.reload();
    await expect.poll(() => stateOf(waiting)).toBe('expired');
    await check(waiting, 'QR page (expired)');

    // The admin console: sign-in page, console with an enrollment link, the disable confirmation.
    await desktop.goto(`${qrid.issuer}/admin`);
    await check(desktop, 'admin sign-in');
    await desktop.getByRole('link', { name: 'Sign in with qrid' }).click();
    await desktop.waitForSelector('#qr svg');
    await phone.goto(await qrUrlOf(desktop));
    await expect.poll(() => desktop.locator('#match-number').textContent()).toMatch(/^\d{2}$/);
    await phone.getByLabel((await desktop.locator('#match-number').textContent()) as string).check();
    await phone.getByRole('button', { name: 'Approve' }).click();
    await desktop.waitForURL(`${qrid.issuer}/admin`);
    await desktop.getByLabel('Username').fill('grace');
    await desktop.getByLabel('Full name').fill('Grace Hopper');
    await desktop.getByRole('button', { name: 'Create and get an enrollment link' }).click();
    await desktop.waitForSelector('#invite-url');
    await check(desktop, 'admin console (enrollment link)');
    expect(await repeatedButtonNames(desktop)).toEqual([]);
    await desktop.getByRole('button', { name: 'Disable grace' }).click();
    await desktop.waitForSelector('#confirm-button');
    await check(desktop, 'admin: confirm disable');

    // An invite enrollment, a device-removal confirmation, and the plain approval page with the
    // passkey note (a phone on the desktop's network, with a passkey on record).
    const grace = await qrid.qrid.services.users.create({ username: 'lin', name: 'Lin' });
    const invite = await qrid.qrid.services.enrollments.create('invite', grace.id);
    const second = await (await on('198.51.100.8', PHONE_CONTEXT)).newPage();
    await second.goto(`${qrid.issuer}/enroll/${invite.token}`);
    await check(second, 'enrollment (invite)');
    await second.getByRole('button', { name: 'Enroll this device' }).click();
    await second.waitForURL(/\/phone\?enrolled=1/);
    await second.getByRole('button', { name: 'Remove this device' }).click();
    await second.waitForSelector('#confirm-button');
    await check(second, 'phone: confirm device removal');
    const [device] = await qrid.qrid.services.devices.listForUser(grace.id);
    await qrid.store.putRecord('passkey:axe-1', { id: 'axe-1', publicKey: 'AA', counter: '0', transports: 'internal', deviceId: device!.id, userId: grace.id, synced: '' });
    await qrid.store.addToIndex(`device-passkeys:${device!.id}`, 'axe-1');
    const another = await (await on('198.51.100.9', { viewport: VIEWPORTS.desktop })).newPage();
    await another.goto(`${qrid.issuer}/demo`);
    await another.getByRole('button', { name: 'Sign in with qrid' }).click();
    await another.waitForSelector('#qr svg');
    await second.goto(await qrUrlOf(another));
    await second.waitForSelector('#verify-note');
    await check(second, 'approval (same network, passkey asked)');

    expect(found).toEqual([]);
  }, 240_000);
});
