import type { Browser } from 'playwright-core';
import { beforeAll, describe, expect, it } from 'vitest';

import { PHONE_CONTEXT } from '../support/chromium.js';
import { withQridInChromium } from '../support/qrid-in-chromium.js';
import { readQrFromPng } from '../support/read-qr.js';
import type { RunningQrid } from '../support/start-qrid.js';

/**
 * The whole thing in a real browser: a desktop window signs in to the demo app (a real
 * openid-client RP), the QR is read off a screenshot like a camera would, and a phone-sized
 * window, enrolled through the setup link, approves.
 */
describe('QR sign-in in Chromium', () => {
  let qrid: RunningQrid;
  let browser: Browser;

  const fixture = withQridInChromium();
  beforeAll(() => void ({ qrid, browser } = fixture));

  it('desktop signs in to the demo app by QR approved on a phone', async () => {
    const phoneContext = await browser.newContext(PHONE_CONTEXT);
    const desktopContext = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    const phone = await phoneContext.newPage();
    const desktop = await desktopContext.newPage();
    const errors: string[] = [];
    for (const page of [phone, desktop]) {
      page.on('pageerror', (error) => errors.push(error.message));
      page.on('console', (message) => {
        if (message.type() === 'error') errors.push(message.text());
      });
    }

    // The phone becomes signed in through the one-time setup link.
    const { token } = await qrid.qrid.services.enrollments.create('setup');
    await phone.goto(`${qrid.issuer}/enroll/${token}`);
    await phone.getByLabel('Username').fill('alice');
    await phone.getByLabel('Full name').fill('Alice Example');
    await phone.getByRole('button', { name: /Create administrator/ }).click();
    await expect.poll(() => phone.url()).toContain('/phone');
    await expect.poll(() => phone.getByRole('heading', { level: 1 }).textContent()).toContain('Signed in as Alice Example');

    // The desktop goes to the app and is sent to qrid's QR page.
    const streams: string[] = [];
    desktop.on('request', (request) => void (request.url().includes('/events') && streams.push(request.url())));
    await desktop.goto(`${qrid.issuer}/demo`);
    await desktop.getByRole('button', { name: 'Sign in with qrid' }).click();
    await desktop.waitForSelector('#qr svg');
    // It opens one event stream for its interaction.
    await expect.poll(() => streams).toHaveLength(1);
    expect(new URL(streams[0] as string).pathname).toMatch(/^\/interaction\/[\w-]+\/events$/);
    expect(await desktop.locator('#status').textContent()).toContain('Scan this code');
    const shots = process.env.QRID_SCREENSHOTS;
    if (shots) await desktop.screenshot({ path: `${shots}/desktop-qr.png` });
    const firstQr = readQrFromPng(await desktop.locator('#qr').screenshot());

    // "Can't scan?": the page's script fetches a code to type (none exists before), with a new QR.
    expect(await desktop.locator('#typed-code').textContent()).toBe('');
    const pageUrl = desktop.url();
    await desktop.getByText("Can't scan? Type a code instead").click();
    await expect.poll(() => desktop.locator('#typed-code').textContent()).toMatch(/^[A-Z]{4}-[A-Z]{4}$/);
    expect(await desktop.locator('#typed-code').isVisible()).toBe(true);
    expect(desktop.url()).toBe(pageUrl);
    const qrUrl = readQrFromPng(await desktop.locator('#qr').screenshot());
    expect(qrUrl).not.toBe(firstQr);
    expect(qrUrl).toMatch(new RegExp(`^${qrid.issuer}/q/[\\w-]{8,64}\\.[\\w-]{22}$`));

    // The phone opens it: the desktop learns it was scanned, without any personal data.
    await phone.goto(qrUrl);
    await expect.poll(() => phone.getByRole('heading', { level: 1 }).textContent()).toContain('qrid demo app');
    await expect.poll(() => desktop.locator('#status').textContent(), { timeout: 15_000 }).toContain('Check your phone');
    expect(await phone.locator('#approval-details').textContent()).toContain('Chrome');
    if (shots) {
      await phone.screenshot({ path: `${shots}/phone-approve.png` });
      await desktop.screenshot({ path: `${shots}/desktop-scanned.png` });
    }

    await phone.getByRole('button', { name: 'Approve' }).click();
    await expect.poll(() => phone.getByRole('heading', { level: 1 }).textContent()).toContain('Approved');

    // The desktop completes by itself and meets the consent page (the demo is not first-party).
    await desktop.waitForURL(/\/interaction\/[^/]+$/, { timeout: 10_000 });
    await desktop.getByRole('button', { name: 'Allow' }).click();
    await desktop.waitForURL(`${qrid.issuer}/demo`);
    expect(await desktop.locator('#demo-status').textContent()).toContain('You are signed in');
    const claims = JSON.parse((await desktop.locator('#claims').textContent()) as string) as Record<string, unknown>;
    expect(claims).toMatchObject({ iss: qrid.issuer, aud: 'qrid-demo', amr: ['mca'] });
    const userinfo = JSON.parse((await desktop.locator('#userinfo').textContent()) as string) as Record<string, unknown>;
    expect(userinfo).toMatchObject({ preferred_username: 'alice', name: 'Alice Example' });

    // Sign out through the demo app: RP-initiated logout. The demo sends its id_token_hint, so
    // qrid's page signs out by itself (its script presses Continue) and returns to the demo.
    await desktop.getByRole('button', { name: 'Sign out' }).click();
    await desktop.waitForURL(`${qrid.issuer}/demo`);
    expect(await desktop.locator('#demo-status').textContent()).toContain('relying party');
    expect(errors).toEqual([]);
  });
});
