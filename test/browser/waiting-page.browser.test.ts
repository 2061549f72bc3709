import type { Browser, BrowserContext, Page } from 'playwright-core';
import { beforeAll, describe, expect, it } from 'vitest';

import { VIEWPORTS } from '../support/axe.js';
import { PHONE_CONTEXT } from '../support/chromium.js';
import { withQridInChromium } from '../support/qrid-in-chromium.js';
import type { RunningQrid } from '../support/start-qrid.js';

/**
 * The waiting page as people use it, in Chromium: what happens after a denial, at expiry, on
 * Cancel, while a phone is deciding and when the QR changes under a person's camera, and where
 * focus goes at each change. The page's clock is Playwright's (page.clock): the QR changes only
 * when a test moves time on, so nothing here waits for a real minute.
 */
describe('the waiting page in Chromium', () => {
  let qrid: RunningQrid;
  let browser: Browser;
  let phone: Page;
  const fixture = withQridInChromium({ proxy: true });
  beforeAll(async () => {
    ({ qrid, browser } = fixture);
    // The phone sits on another network: number matching on every approval, on a small screen.
    phone = await (await browser.newContext({ ...PHONE_CONTEXT, viewport: VIEWPORTS.small, extraHTTPHeaders: { 'X-Forwarded-For': '203.0.113.9' } })).newPage();
    const { token } = await qrid.qrid.services.enrollments.create('setup');
    await phone.goto(`${qrid.issuer}/enroll/${token}`);
    await phone.getByLabel('Username').fill('kim');
    await phone.getByRole('button', { name: /Create administrator/ }).click();
    await phone.waitForURL(/\/phone\?enrolled=1/);
  });

  async function waitingDesktop(): Promise<{ context: BrowserContext; page: Page }> {
    const context = await browser.newContext({ viewport: VIEWPORTS.desktop, extraHTTPHeaders: { 'X-Forwarded-For': '198.51.100.7' } });
    const page = await context.newPage();
    await page.clock.install();
    await page.goto(`${qrid.issuer}/demo`);
    await page.getByRole('button', { name: 'Sign in with qrid' }).click();
    await page.waitForSelector('#qr svg');
    return { context, page };
  }
  const qrUrlOf = async (page: Page) => (await page.locator('#qr').getAttribute('data-qr-url')) as string;
  const stateOf = (page: Page) => page.locator('#qr-page').getAttribute('data-state');
  const focused = (page: Page) => page.evaluate(() => (document.activeElement === document.body ? 'BODY' : document.activeElement?.id || document.activeElement?.tagName));
  /** The phone opens a QR and approves, picking the number the computer shows. */
  async function approveOnPhone(url: string, desktop: Page): Promise<void> {
    await phone.goto(url);
    await expect.poll(() => desktop.locator('#match-number').textContent()).toMatch(/^\d{2}$/);
    await phone.getByLabel((await desktop.locator('#match-number').textContent()) as string).check();
    // On a 320×568 screen, Approve is within reach without scrolling, numbers and warning included.
    const box = await phone.getByRole('button', { name: 'Approve' }).boundingBox();
    expect(box!.y + box!.height).toBeLessThanOrEqual(VIEWPORTS.small.height);
    await phone.getByRole('button', { name: 'Approve' }).click();
    await expect.poll(() => phone.getByRole('heading', { level: 1 }).textContent()).toBe('Approved');
  }
  async function finishAtDemo(desktop: Page): Promise<void> {
    await desktop.waitForURL(/\/interaction\/[^/]+$|\/demo$/, { timeout: 30_000 });
    if (await desktop.getByRole('button', { name: 'Allow' }).count()) await desktop.getByRole('button', { name: 'Allow' }).click();
    await desktop.waitForSelector('#claims', { timeout: 30_000 });
  }

  it('after a denial, Try again listens again: the next approval signs the computer in without a new QR', async () => {
    const { page: desktop } = await waitingDesktop();
    await phone.goto(await qrUrlOf(desktop));
    await phone.getByRole('button', { name: 'Deny' }).click();
    await expect.poll(() => stateOf(desktop)).toBe('denied');
    expect(await focused(desktop)).toBe('retry-button');
    await desktop.keyboard.press('Enter');
    await expect.poll(() => stateOf(desktop)).toBe('waiting');
    expect(await focused(desktop)).not.toBe('BODY');
    // The page's clock stands still: no new QR will come to rescue a page that stopped listening.
    await approveOnPhone(await qrUrlOf(desktop), desktop);
    await finishAtDemo(desktop);
  });

  it('listens again after its stream is refused (a 503 while the store fails over, or a 429): the approval still signs the computer in', async () => {
    const { page: desktop } = await waitingDesktop();
    await phone.goto(await qrUrlOf(desktop));
    await phone.getByRole('button', { name: 'Deny' }).click();
    await expect.poll(() => stateOf(desktop)).toBe('denied');
    // The next stream the page opens is refused, as during a Redis failover; EventSource gives
    // up on a refusal, so only the page's own retry can bring it back.
    let refusals = 0;
    await desktop.route('**/interaction/*/events', async (route) => {
      refusals += 1;
      await route.fulfill({ status: 503, contentType: 'text/html', body: 'unavailable' });
    });
    await desktop.getByRole('button', { name: 'Try again' }).click();
    await expect.poll(() => stateOf(desktop)).toBe('waiting');
    await expect.poll(() => refusals).toBe(1);
    await desktop.unrouteAll();
    // The page's next try is on its clock, which stands still until moved.
    await desktop.clock.fastForward(5_000);
    await approveOnPhone(await qrUrlOf(desktop), desktop);
    await finishAtDemo(desktop);
  });

  it('keeps focus and says each state: scanned (with the number), more time, a new code', async () => {
    const { page: desktop } = await waitingDesktop();
    await desktop.getByText("Can't scan? Type a code instead").focus();
    await phone.goto(await qrUrlOf(desktop));
    await expect.poll(() => stateOf(desktop)).toBe('scanned');
    const number = await desktop.locator('#match-number').textContent();
    await expect.poll(() => desktop.locator('#status').textContent()).toContain(`pick ${number} there`);
    expect(await desktop.locator('#status').getAttribute('aria-live')).toBe('polite');
    expect(await focused(desktop)).toBe('status');

    // The phone goes away; its time to decide runs out (brought forward in the store, where qrid
    // keeps it); the page shows new QRs until it stops and asks for more time.
    const uid = (await desktop.locator('#qr-page').getAttribute('data-uid')) as string;
    await qrid.store.patchRecord(`approval:${uid}`, { decideBy: String(Date.now() - 1) });
    await desktop.clock.fastForward(125_000);
    await expect.poll(() => stateOf(desktop)).toBe('waiting');
    for (let i = 0; i <= qrid.config.qr.auto_rotations && !(await desktop.locator('#more-time').isVisible()); i += 1) {
      const before = await qrUrlOf(desktop);
      await desktop.clock.fastForward(61_000);
      await expect.poll(async () => (await qrUrlOf(desktop)) !== before || (await desktop.locator('#more-time').isVisible())).toBe(true);
    }
    await expect.poll(() => desktop.locator('#more-time').isVisible()).toBe(true);
    expect(await desktop.locator('#status').textContent()).toContain('Choose More time');
    expect(await focused(desktop)).toBe('more-time-button');
    await desktop.keyboard.press('Enter');
    await expect.poll(() => desktop.locator('#waiting').isVisible()).toBe(true);
    expect(await desktop.locator('#status').textContent()).toContain('Scan this code');
    expect(await focused(desktop)).toBe('status');
  });

  it('does not change the QR under a phone that is deciding, and the QR just replaced still opens the request', async () => {
    const { page: desktop } = await waitingDesktop();
    expect(await desktop.locator('#qr').evaluate((e) => e.tagName)).toBe('FIGURE');
    expect(await desktop.locator('#qr a, a#qr').count()).toBe(0);
    const first = await qrUrlOf(desktop);
    await desktop.clock.fastForward(61_000);
    await expect.poll(() => qrUrlOf(desktop)).not.toBe(first);
    // Scanned just before the change: it still works.
    await phone.goto(first);
    await expect.poll(() => stateOf(desktop)).toBe('scanned');
    // Past the new QR's own lifetime, the page does not rotate away from the deciding phone.
    await desktop.clock.fastForward(61_000);
    expect(await stateOf(desktop)).toBe('scanned');
    await approveOnPhone(first, desktop);
    await finishAtDemo(desktop);
  });

  it('an expired sign-in offers Start again (the same request, a new QR) and a way back; Cancel tells the app', async () => {
    const { page: desktop } = await waitingDesktop();
    const uid = (await desktop.locator('#qr-page').getAttribute('data-uid')) as string;
    await qrid.store.patchRecord(`approval:${uid}`, { expiresAt: String(Date.now() + 1_500) });
    await desktop.reload();
    await expect.poll(() => stateOf(desktop), { timeout: 20_000 }).toBe('expired');
    expect(await focused(desktop)).toBe('restart-link');
    expect(await desktop.getByRole('link', { name: 'Go back to qrid demo app' }).getAttribute('href')).toBe(new URL(qrid.issuer).origin);
    expect(await desktop.locator('#cancel-form').isVisible()).toBe(false);
    await desktop.keyboard.press('Enter');
    await desktop.waitForSelector('#qr svg');
    expect(await desktop.locator('#qr-page').getAttribute('data-uid')).not.toBe(uid);
    await approveOnPhone(await qrUrlOf(desktop), desktop);
    await finishAtDemo(desktop);

    const { page: leaving } = await waitingDesktop();
    await leaving.getByRole('button', { name: 'Cancel and go back to qrid demo app' }).click();
    await leaving.waitForURL(/\/demo/);
    expect(await leaving.locator('#demo-outcome').textContent()).toContain('You cancelled the sign-in');
  });
});
