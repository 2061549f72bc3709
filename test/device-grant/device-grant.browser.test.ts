import type { Browser, Page } from 'playwright-core';
import { beforeAll, describe, expect, it } from 'vitest';

import { PHONE_CONTEXT } from '../support/chromium.js';
import { withQridInChromium } from '../support/qrid-in-chromium.js';
import { readQrFromPng } from '../support/read-qr.js';
import type { RunningQrid } from '../support/start-qrid.js';

/**
 * In Chromium: the demo TV signs in by the device grant, approved on an enrolled phone by
 * scanning the TV's QR and by typing its code; and the phone signs itself in to an app with
 * "Sign in on this device", no camera involved.
 */
describe('device grant and sign-in on this device, in Chromium', () => {
  let qrid: RunningQrid;
  let browser: Browser;
  let phone: Page;
  const errors: string[] = [];
  const fixture = withQridInChromium({ polling: { interval_seconds: 1 } });
  beforeAll(async () => {
    ({ qrid, browser } = fixture);
    phone = await (await browser.newContext(PHONE_CONTEXT)).newPage();
    phone.on('pageerror', (e) => errors.push(e.message));
    const { token } = await qrid.qrid.services.enrollments.create('setup');
    await phone.goto(`${qrid.issuer}/enroll/${token}`);
    await phone.getByLabel('Username').fill('tess');
    await phone.getByRole('button', { name: /Create administrator/ }).click();
    await phone.waitForURL(/\/phone\?enrolled=1/);
  });

  async function tvShowingCode(): Promise<Page> {
    const tv = await (await browser.newContext()).newPage();
    tv.on('pageerror', (e) => errors.push(e.message));
    await tv.goto(`${qrid.issuer}/demo/tv`);
    await tv.getByRole('button', { name: 'Sign in on this TV' }).click();
    await tv.waitForSelector('#tv-qr svg');
    return tv;
  }

  /** The phone's approval screen for the TV: approve, allow the app (first time), see "done". */
  async function approveOnPhone(): Promise<void> {
    await phone.waitForSelector('#device-warning');
    expect(await phone.getByRole('heading', { level: 1 }).textContent()).toContain('qrid demo TV');
    await phone.getByRole('button', { name: 'Approve' }).click();
    await phone.waitForSelector('#device-done, form[action$="/consent"]');
    if (await phone.locator('form[action$="/consent"]').count()) await phone.getByRole('button', { name: 'Allow' }).click();
    await expect.poll(() => phone.locator('#device-done').textContent()).toContain('qrid demo TV is signed in on your device');
  }

  async function tvSignedIn(tv: Page): Promise<Record<string, unknown>> {
    await expect.poll(() => tv.locator('#tv-status').textContent(), { timeout: 30_000 }).toContain('The TV is signed in');
    return JSON.parse((await tv.locator('#tv-claims').textContent()) as string) as Record<string, unknown>;
  }

  // First: afterwards this phone's browser holds a qrid session, as after any sign-in in it.
  it('signs the phone itself in to an app, without a QR: no second channel, so no mca', async () => {
    await phone.goto(`${qrid.issuer}/demo`);
    await phone.getByRole('button', { name: 'Sign in with qrid' }).click();
    await phone.waitForSelector('#this-device-button');
    await phone.getByRole('button', { name: 'Sign in on this device' }).click();
    await phone.waitForSelector('#claims, form[action$="/consent"]');
    if (await phone.locator('form[action$="/consent"]').count()) await phone.getByRole('button', { name: 'Allow' }).click();
    const claims = JSON.parse((await phone.locator('#claims').textContent()) as string) as Record<string, unknown>;
    expect(claims.acr).toBe('urn:qrid:acr:device');
    expect(claims.amr).toBeUndefined();
  });

  it('signs the TV in when the phone scans its QR and approves', async () => {
    const tv = await tvShowingCode();
    const link = readQrFromPng(await tv.locator('#tv-qr').screenshot());
    expect(link).toMatch(new RegExp(`^${qrid.issuer}/device\\?user_code=[A-Z]{4}-[A-Z]{4}$`));
    await phone.goto(link);
    await approveOnPhone();
    const claims = await tvSignedIn(tv);
    expect(claims).toMatchObject({ aud: 'qrid-demo-tv', acr: 'urn:qrid:acr:device', amr: ['mca'] });
  });

  it('signs the TV in when its code is typed on the phone', async () => {
    const tv = await tvShowingCode();
    const code = (await tv.locator('#tv-code').textContent()) as string;
    await phone.goto(`${qrid.issuer}/phone`);
    await phone.getByLabel('Or type the code').fill(code.toLowerCase().replace('-', ' '));
    await phone.getByRole('button', { name: 'Continue' }).first().click();
    await approveOnPhone();
    expect((await tvSignedIn(tv)).sub).toBeTruthy();
    expect(errors).toEqual([]);
  });

});
