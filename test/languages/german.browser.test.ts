import type { Browser } from 'playwright-core';
import { beforeAll, describe, expect, it } from 'vitest';

import { VIEWPORTS } from '../support/axe.js';
import { PHONE_CONTEXT } from '../support/chromium.js';
import { withQridInChromium } from '../support/qrid-in-chromium.js';
import { readQrFromPng } from '../support/read-qr.js';
import type { RunningQrid } from '../support/start-qrid.js';

/**
 * The README's try-it in German: browsers whose language is German get every page in German
 * (with lang="de"), dates in the German way, and a person can switch to English at the foot of
 * any page.
 */
describe('languages: the try-it flow in German, and switching', () => {
  let qrid: RunningQrid;
  let browser: Browser;
  const fixture = withQridInChromium();
  beforeAll(() => void ({ qrid, browser } = fixture));

  it('sets up, signs in by QR and consents in German; the footer switches to English', async () => {
    const phone = await (await browser.newContext({ ...PHONE_CONTEXT, locale: 'de-DE', timezoneId: 'Europe/Berlin' })).newPage();
    const desktop = await (await browser.newContext({ viewport: VIEWPORTS.desktop, locale: 'de-DE' })).newPage();

    const { token } = await qrid.qrid.services.enrollments.create('setup');
    await phone.goto(`${qrid.issuer}/enroll/${token}`);
    expect(await phone.getAttribute('html', 'lang')).toBe('de');
    expect(await phone.getByRole('heading', { level: 1 }).textContent()).toBe('qrid einrichten');
    await phone.getByLabel('Benutzername').fill('lena');
    await phone.getByLabel('Vollständiger Name').fill('Lena Schmidt');
    await phone.getByRole('button', { name: 'Administrator anlegen und Gerät anmelden' }).click();
    await phone.waitForURL(/\/phone\?enrolled=1/);
    expect(await phone.getByRole('heading', { level: 1 }).textContent()).toBe('Angemeldet als Lena Schmidt');
    expect(await phone.locator('#phone-notice').textContent()).toBe('Dieses Gerät ist jetzt bei qrid angemeldet.');

    await desktop.goto(`${qrid.issuer}/demo`);
    await desktop.getByRole('button', { name: 'Mit qrid anmelden' }).click();
    await desktop.waitForSelector('#qr svg');
    expect(await desktop.getAttribute('html', 'lang')).toBe('de');
    expect(await desktop.locator('#status').textContent()).toContain('Scannen Sie diesen Code mit der Kamera Ihres Telefons.');
    expect(await desktop.locator('.qr-svg').getAttribute('aria-label')).toBe('QR-Code: mit der Kamera Ihres Telefons scannen');

    await phone.goto(readQrFromPng(await desktop.locator('#qr').screenshot()));
    expect(await phone.getByRole('heading', { level: 1 }).textContent()).toBe('Bei qrid demo app anmelden?');
    expect(await phone.locator('#approval-where').textContent()).toContain('In Ihrer Nähe');
    await expect.poll(() => desktop.locator('#status').textContent()).toContain('Schauen Sie auf Ihr Telefon');
    await phone.getByRole('button', { name: 'Bestätigen' }).click();
    await expect.poll(() => phone.getByRole('heading', { level: 1 }).textContent()).toBe('Bestätigt');

    await desktop.waitForSelector('form[action$="/consent"]');
    expect(await desktop.getByRole('heading', { level: 1 }).textContent()).toBe('qrid demo app möchte Sie anmelden');
    await desktop.getByRole('button', { name: 'Erlauben' }).click();
    await desktop.waitForSelector('#claims');
    expect(await desktop.locator('#demo-status').textContent()).toBe('Sie sind angemeldet.');

    // The phone lists the session with a German date in the phone's own time zone.
    await phone.goto(`${qrid.issuer}/phone`);
    const started = await phone.locator('#sessions time').first().textContent();
    const expected = new Intl.DateTimeFormat('de-DE', { dateStyle: 'medium', timeStyle: 'short', timeZone: 'Europe/Berlin' }).format(
      new Date((await phone.locator('#sessions time').first().getAttribute('datetime')) as string),
    );
    expect(started).toBe(expected);
    expect(await phone.getByRole('heading', { name: 'Apps, die Sie erlaubt haben' }).count()).toBe(1);

    // The person prefers English: one link, kept for the next pages.
    await phone.getByRole('link', { name: 'English' }).click();
    await phone.waitForURL(`${qrid.issuer}/phone`);
    expect(await phone.getAttribute('html', 'lang')).toBe('en');
    expect(await phone.getByRole('heading', { level: 1 }).textContent()).toBe('Signed in as Lena Schmidt');
    await phone.goto(`${qrid.issuer}/q/${'x'.repeat(21)}.${'y'.repeat(22)}`);
    expect(await phone.getByRole('heading', { level: 1 }).textContent()).toBe('Unknown QR code');
  });
});
