import type { Browser, BrowserContext, BrowserContextOptions, CDPSession, Page } from 'playwright-core';
import { beforeAll, describe, expect, it } from 'vitest';

import { axeEverywhere } from '../support/axe.js';
import { PHONE_CONTEXT } from '../support/chromium.js';
import { withQridInChromium } from '../support/qrid-in-chromium.js';
import { readQrFromPng } from '../support/read-qr.js';
import { RelyingParty } from '../support/relying-party.js';
import { RP_REDIRECT, type RunningQrid } from '../support/start-qrid.js';

/** A phone with a platform authenticator that verifies the user (Chromium's virtual one, via CDP). */
async function phoneWithAuthenticator(browser: Browser, options: BrowserContextOptions = PHONE_CONTEXT): Promise<{ context: BrowserContext; page: Page; cdp: CDPSession; authenticatorId: string }> {
  const context = await browser.newContext(options);
  const page = await context.newPage();
  const cdp = await context.newCDPSession(page);
  await cdp.send('WebAuthn.enable');
  const { authenticatorId } = await cdp.send('WebAuthn.addVirtualAuthenticator', {
    options: {
      protocol: 'ctap2',
      transport: 'internal',
      hasResidentKey: true,
      hasUserVerification: true,
      isUserVerified: true,
      automaticPresenceSimulation: true,
    },
  });
  return { context, page, cdp, authenticatorId };
}

describe('passkeys in Chromium (virtual authenticator)', () => {
  let qrid: RunningQrid;
  let browser: Browser;
  let enrolledPhone: Page | undefined;
  let phoneAuthenticator: { cdp: CDPSession; authenticatorId: string } | undefined;

  const fixture = withQridInChromium();
  beforeAll(() => void ({ qrid, browser } = fixture));

  it('enrolls a passkey and approves a QR login with a fresh user-verified assertion', async () => {
    const { context: phoneContext, page: phone, cdp, authenticatorId } = await phoneWithAuthenticator(browser);
    phoneAuthenticator = { cdp, authenticatorId };
    const desktop = await (await browser.newContext()).newPage();
    const errors: string[] = [];
    phone.on('pageerror', (e) => errors.push(e.message));
    desktop.on('pageerror', (e) => errors.push(e.message));

    const { token } = await qrid.qrid.services.enrollments.create('setup');
    await phone.goto(`${qrid.issuer}/enroll/${token}`);
    await phone.getByLabel('Username').fill('pat');
    await phone.getByRole('button', { name: /Create administrator/ }).click();
    await phone.waitForURL(/\/phone\?enrolled=1/);

    await phone.getByRole('button', { name: 'Add a passkey' }).click();
    await phone.waitForURL(/\/phone\?passkey=1/);
    expect(await phone.locator('.notice').textContent()).toContain('Passkey added');
    const user = await qrid.qrid.services.users.findByUsername('pat');
    const [device] = await qrid.qrid.services.devices.listForUser(user!.id);
    expect(await qrid.qrid.services.passkeys.hasPasskey(device!.id)).toBe(true);

    await desktop.goto(`${qrid.issuer}/demo`);
    await desktop.getByRole('button', { name: 'Sign in with qrid' }).click();
    await desktop.waitForSelector('#qr svg');
    const qrUrl = readQrFromPng(await desktop.locator('#qr').screenshot());

    await phone.goto(qrUrl);
    expect(await phone.locator('#verify-note').textContent()).toContain('passkey');
    // The session cookie alone is not enough any more: an Approve without an assertion is refused.
    const csrf = await phone.locator('input[name="csrf"]').first().inputValue();
    const bare = await phoneContext.request.post(qrUrl, {
      form: { csrf, decision: 'approve' },
      headers: { Origin: qrid.issuer, 'Sec-Fetch-Site': 'same-origin' },
    });
    expect(bare.status()).toBe(403);
    expect(await bare.text()).toContain('needs your passkey');

    await phone.getByRole('button', { name: 'Approve' }).click();
    await expect.poll(() => phone.getByRole('heading', { level: 1 }).textContent()).toContain('Approved');

    await desktop.waitForURL(/\/interaction\/[^/]+$/, { timeout: 10_000 });
    await desktop.getByRole('button', { name: 'Allow' }).click();
    await desktop.waitForURL(`${qrid.issuer}/demo`);
    const claims = JSON.parse((await desktop.locator('#claims').textContent()) as string) as { amr: string[]; acr: string };
    expect(claims.acr).toBe('urn:qrid:acr:passkey');
    expect(claims.amr[0]).toBe('mca');
    expect(claims.amr).toContain('mfa');
    expect(['hwk', 'swk']).toContain(claims.amr[2]);
    expect(errors).toEqual([]);
    enrolledPhone = phone;
  });

  it('meets an app that asks for the passkey context (step-up), and the ID token says so', async () => {
    const phone = enrolledPhone as Page;
    const rp = await RelyingParty.discover(qrid.issuer);
    const desktop = await (await browser.newContext()).newPage();
    // The test RP's callback is not a real site: the browser stops there and the test reads the URL.
    await desktop.route(`${RP_REDIRECT}**`, (route) => route.fulfill({ status: 200, contentType: 'text/plain', body: 'callback' }));
    await desktop.goto(await rp.authorizationUrl({ acr_values: 'urn:qrid:acr:passkey' }));
    await desktop.waitForSelector('#qr svg');
    await phone.goto(readQrFromPng(await desktop.locator('#qr').screenshot()));
    expect(await phone.locator('#verify-note').textContent()).toContain('passkey');
    await phone.getByRole('button', { name: 'Approve' }).click();
    await expect.poll(() => phone.getByRole('heading', { level: 1 }).textContent()).toContain('Approved');
    await desktop.waitForURL(/\/interaction\/[^/]+$/, { timeout: 10_000 });
    await desktop.getByRole('button', { name: 'Allow' }).click();
    await desktop.waitForURL(`${RP_REDIRECT}**`);
    const tokens = await rp.redeem(desktop.url());
    expect(tokens.claims()?.acr).toBe('urn:qrid:acr:passkey');
    expect(tokens.claims()?.amr).toContain('mfa');
  });

  it('a copy of the device cookie in another browser is offered no way to add a passkey (security item 16)', async () => {
    const phone = enrolledPhone as Page;
    const { context: copy, page } = await phoneWithAuthenticator(browser);
    const device = (await phone.context().cookies()).find((c) => c.name === 'qrid_device');
    expect(device).toBeTruthy();
    await copy.addCookies([device!]);
    await page.goto(`${qrid.issuer}/phone`);
    expect(await page.getByRole('heading', { level: 1 }).textContent()).toContain('Signed in as');
    // The device has a passkey: another needs an assertion of it, which this browser cannot make.
    await page.getByRole('button', { name: 'Add another passkey' }).click();
    await expect.poll(() => page.locator('#passkey-error').textContent()).toContain('No passkey was added');
    const user = await qrid.qrid.services.users.findByUsername('pat');
    const [registered] = await qrid.qrid.services.devices.listForUser(user!.id);
    expect(await qrid.qrid.services.store.indexMembers(`device-passkeys:${registered!.id}`)).toHaveLength(1);
    await copy.close();
  });

  it('a verified phone signs in another phone by showing a one-time QR', async () => {
    const phone = enrolledPhone as Page;
    await phone.goto(`${qrid.issuer}/phone`);
    await phone.getByRole('button', { name: 'Sign in another device' }).click();
    await phone.waitForSelector('#link-qr svg');
    expect(await axeEverywhere(phone, 'link another device')).toEqual([]);
    const linkUrl = readQrFromPng(await phone.locator('#link-qr').screenshot());
    expect(linkUrl).toMatch(new RegExp(`^${qrid.issuer}/enroll/[\\w-]{22}$`));

    const second = await (await browser.newContext(PHONE_CONTEXT)).newPage();
    await second.goto(linkUrl);
    expect(await second.getByRole('heading', { level: 1 }).textContent()).toContain('Sign in this device as pat');
    await second.getByRole('button', { name: 'Enroll this device' }).click();
    await second.waitForURL(/\/phone\?enrolled=1/);
    expect(await second.getByRole('heading', { level: 1 }).textContent()).toContain('Signed in as');
    // Single use: the same QR does nothing for a third device.
    const third = await (await browser.newContext()).newPage();
    const response = await third.goto(linkUrl);
    expect(response?.status()).toBe(409);
  });

  it('will not show a link QR without a fresh passkey assertion', async () => {
    const phone = enrolledPhone as Page;
    await phone.goto(`${qrid.issuer}/phone`);
    const csrf = await phone.locator('input[name="csrf"]').first().inputValue();
    const bare = await phone.context().request.post(`${qrid.issuer}/phone/link`, {
      form: { csrf, assertion: '' },
      headers: { Origin: qrid.issuer, 'Sec-Fetch-Site': 'same-origin' },
    });
    expect(bare.status()).toBe(400);
    expect(await bare.text()).not.toContain('/enroll/');
  });

  it('signs the phone itself in with its passkey ("Sign in on this device"): acr passkey, no mca', async () => {
    const phone = enrolledPhone as Page;
    await phone.goto(`${qrid.issuer}/demo`);
    await phone.getByRole('button', { name: 'Sign in with qrid' }).click();
    await phone.getByRole('button', { name: 'Sign in on this device' }).click();
    await phone.waitForSelector('#claims, form[action$="/consent"]');
    if (await phone.locator('form[action$="/consent"]').count()) await phone.getByRole('button', { name: 'Allow' }).click();
    const claims = JSON.parse((await phone.locator('#claims').textContent()) as string) as { amr: string[]; acr: string; preferred_username?: string };
    expect(claims.acr).toBe('urn:qrid:acr:passkey');
    expect(claims.amr).toContain('mfa');
    expect(claims.amr).not.toContain('mca');
  });

  it('signs a computer in with the phone\'s passkey ("Sign in with a passkey"): the passkey names its device', async () => {
    // The phone's passkey, reachable from the computer (as through the browser's cross-device flow).
    const { cdp, authenticatorId } = phoneAuthenticator!;
    const { credentials } = await cdp.send('WebAuthn.getCredentials', { authenticatorId });
    expect(credentials.length).toBeGreaterThan(0);
    const computer = await phoneWithAuthenticator(browser, {});
    for (const credential of credentials) await computer.cdp.send('WebAuthn.addCredential', { authenticatorId: computer.authenticatorId, credential });

    const desktop = computer.page;
    await desktop.goto(`${qrid.issuer}/demo`);
    await desktop.getByRole('button', { name: 'Sign in with qrid' }).click();
    await desktop.getByRole('button', { name: 'Sign in with a passkey' }).click();
    await desktop.waitForSelector('#claims, form[action$="/consent"]');
    if (await desktop.locator('form[action$="/consent"]').count()) await desktop.getByRole('button', { name: 'Allow' }).click();
    const claims = JSON.parse((await desktop.locator('#claims').textContent()) as string) as { amr: string[]; acr: string; sub: string };
    const pat = await qrid.qrid.services.users.findByUsername('pat');
    expect(claims).toMatchObject({ sub: pat?.id, acr: 'urn:qrid:acr:passkey' });
    expect(claims.amr).toContain('mfa');
    await computer.context.close();
  });
});
