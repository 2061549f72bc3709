import type { Browser, Page } from 'playwright-core';
import { beforeAll, describe, expect, it } from 'vitest';

import { VIEWPORTS } from '../support/axe.js';
import { PHONE_CONTEXT } from '../support/chromium.js';
import { withQridInChromium } from '../support/qrid-in-chromium.js';
import type { RunningQrid } from '../support/start-qrid.js';

/** Presses Tab until the focused element's accessible text matches, as a keyboard user would look for it. */
async function tabTo(page: Page, name: RegExp): Promise<void> {
  for (let i = 0; i < 60; i += 1) {
    await page.keyboard.press('Tab');
    const label = await page.evaluate(() => {
      const el = document.activeElement as HTMLElement | null;
      return el ? `${el.getAttribute('aria-label') ?? ''} ${el.innerText ?? ''} ${(el as HTMLInputElement).labels?.[0]?.innerText ?? ''}` : '';
    });
    if (name.test(label)) return;
  }
  throw new Error(`nothing matching ${name} reached with Tab`);
}

/**
 * The whole sign-in with the keyboard alone, on both sides: the computer asks for a code to
 * type, the phone types it and approves, the computer consents; then More time, and Cancel.
 */
describe('accessibility: keyboard only', () => {
  let qrid: RunningQrid;
  let browser: Browser;
  const fixture = withQridInChromium({ qr: { auto_rotations: 0 } });
  beforeAll(() => void ({ qrid, browser } = fixture));

  it('signs in with the typed code, More time and Cancel, never touching a mouse', async () => {
    const phone = await (await browser.newContext(PHONE_CONTEXT)).newPage();
    const { token } = await qrid.qrid.services.enrollments.create('setup');
    await phone.goto(`${qrid.issuer}/enroll/${token}`);
    await tabTo(phone, /^\s*Username/);
    await phone.keyboard.press('Control+A');
    await phone.keyboard.type('noah');
    await tabTo(phone, /Create administrator/);
    await phone.keyboard.press('Enter');
    await phone.waitForURL(/\/phone\?enrolled=1/);

    const desktop = await (await browser.newContext({ viewport: VIEWPORTS.desktop })).newPage();
    await desktop.clock.install();
    await desktop.goto(`${qrid.issuer}/demo`);
    await tabTo(desktop, /Sign in with qrid/);
    await desktop.keyboard.press('Enter');
    await desktop.waitForSelector('#qr svg');
    await tabTo(desktop, /Can't scan\? Type a code instead/);
    await desktop.keyboard.press('Enter');
    await expect.poll(() => desktop.locator('#typed-code').textContent()).toMatch(/^[A-Z]{4}-[A-Z]{4}$/);
    const code = (await desktop.locator('#typed-code').textContent()) as string;

    await phone.goto(`${qrid.issuer}/phone`);
    await tabTo(phone, /Or type the code/);
    await phone.keyboard.type(code.toLowerCase());
    await phone.keyboard.press('Enter');
    await phone.waitForSelector('#approve-button');
    await tabTo(phone, /^\s*Approve\s*$/);
    await phone.keyboard.press('Enter');
    await expect.poll(() => phone.getByRole('heading', { level: 1 }).textContent()).toBe('Approved');

    await desktop.waitForSelector('form[action$="/consent"]', { timeout: 30_000 });
    await tabTo(desktop, /^\s*Allow\s*$/);
    await desktop.keyboard.press('Enter');
    await desktop.waitForSelector('#claims');
    // The claims can be scrolled with the keyboard.
    await tabTo(desktop, /"sub"/);
    expect(await desktop.evaluate(() => document.activeElement?.id)).toBe('claims');
    // qrid's "Sign out?" (asked when a request has no id_token_hint): Sign out has the focus.
    await desktop.goto(`${qrid.issuer}/session/end?client_id=qrid-demo&post_logout_redirect_uri=${encodeURIComponent(`${qrid.issuer}/demo`)}`);
    await desktop.waitForSelector('button[name="logout"]');
    await desktop.keyboard.press('Enter');
    await desktop.waitForURL(/\/demo/);
    // The demo app still has its own session; its Sign out comes back without a question.
    await tabTo(desktop, /^\s*Sign out\s*$/);
    await desktop.keyboard.press('Enter');
    await desktop.waitForSelector('button:has-text("Sign in with qrid")');

    // More time: nothing happened for a while, the page asks; then Cancel.
    await tabTo(desktop, /Sign in with qrid/);
    await desktop.keyboard.press('Enter');
    await desktop.waitForSelector('#qr svg');
    await desktop.clock.fastForward(65_000);
    await expect.poll(() => desktop.evaluate(() => document.activeElement?.id)).toBe('more-time-button');
    const before = await desktop.locator('#qr').getAttribute('data-qr-url');
    await desktop.keyboard.press('Enter');
    await expect.poll(() => desktop.locator('#qr').getAttribute('data-qr-url')).not.toBe(before);
    await tabTo(desktop, /Cancel and go back/);
    await desktop.keyboard.press('Enter');
    await desktop.waitForURL(/\/demo/);
    expect(await desktop.locator('#demo-outcome').textContent()).toContain('You cancelled the sign-in');
  });
});
