import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import type { Browser, Page } from 'playwright-core';
import QRCode from 'qrcode';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { launchChromium, PHONE_CONTEXT } from '../support/chromium.js';
import { type RunningQrid, startQrid } from '../support/start-qrid.js';
import { pngToY4m } from '../support/y4m.js';

/**
 * The phone as an app, in Chromium: its scanner reads the computer's QR through a camera (the
 * fake camera plays a video made from a screenshot of the computer's page) and signs the
 * computer in; it refuses a QR that leads elsewhere; its service worker shows a push message
 * (delivered through the DevTools protocol) as a notification that opens the request; the
 * manifest and offline page are there.
 */
describe('the phone app in Chromium', () => {
  let qrid: RunningQrid;
  let browser: Browser;
  let phone: Page;
  const camera = join(mkdtempSync(join(tmpdir(), 'qrid-camera-')), 'camera.y4m');
  const showToCamera = (png: Buffer) => writeFileSync(camera, pngToY4m(png));

  beforeAll(async () => {
    qrid = await startQrid({ development: true });
    showToCamera(await QRCode.toBuffer('nothing yet', { type: 'png', scale: 6 }));
    // The camera plays `camera.y4m`, read again whenever a page starts it.
    browser = await launchChromium(['--use-fake-device-for-media-stream', '--use-fake-ui-for-media-stream', `--use-file-for-fake-video-capture=${camera}`]);
    const context = await browser.newContext(PHONE_CONTEXT);
    await context.grantPermissions(['notifications'], { origin: qrid.issuer });
    phone = await context.newPage();
    const { token } = await qrid.qrid.services.enrollments.create('setup');
    await phone.goto(`${qrid.issuer}/enroll/${token}`);
    await phone.getByLabel('Username').fill('sam');
    await phone.getByRole('button', { name: /Create administrator/ }).click();
    await phone.waitForURL(/\/phone\?enrolled=1/);
  });
  afterAll(async () => {
    await browser?.close();
    await qrid?.close();
  });

  it('scans the computer\'s QR with its own scanner and signs the computer in', async () => {
    const desktop = await (await browser.newContext()).newPage();
    await desktop.goto(`${qrid.issuer}/demo`);
    await desktop.getByRole('button', { name: 'Sign in with qrid' }).click();
    await desktop.waitForSelector('#qr svg');
    showToCamera(await desktop.locator('#qr').screenshot());

    await phone.goto(`${qrid.issuer}/phone`);
    await phone.getByRole('button', { name: 'Scan', exact: true }).click();
    await phone.waitForURL(/\/q\/[\w.-]+$/, { timeout: 20_000 });
    await phone.getByRole('button', { name: 'Approve' }).click();
    await expect.poll(() => phone.getByRole('heading', { level: 1 }).textContent()).toContain('Approved');
    await desktop.waitForURL(/\/interaction\/[^/]+$/);
    await desktop.getByRole('button', { name: 'Allow' }).click();
    await desktop.waitForSelector('#claims');
  });

  it('refuses a QR that leads anywhere but this qrid, and says why', async () => {
    showToCamera(await QRCode.toBuffer('https://evil.example/q/abc.def', { type: 'png', scale: 6 }));
    await phone.goto(`${qrid.issuer}/phone`);
    await phone.getByRole('button', { name: 'Scan', exact: true }).click();
    await expect.poll(() => phone.locator('#scan-status').textContent(), { timeout: 20_000 }).toContain('This QR code is not a qrid sign-in');
    expect(new URL(phone.url()).pathname).toBe('/phone');
    await phone.getByRole('button', { name: 'Stop scanning' }).click();
  });

  it('shows a push message as a notification that opens the request', async () => {
    await phone.goto(`${qrid.issuer}/phone`);
    await phone.evaluate(() => navigator.serviceWorker.ready.then(() => undefined));
    const cdp = await phone.context().newCDPSession(phone);
    const registration = new Promise<string>((resolve) =>
      cdp.on('ServiceWorker.workerRegistrationUpdated', ({ registrations }) => {
        const found = registrations.find((r) => r.scopeURL === `${qrid.issuer}/` && !r.isDeleted);
        if (found) resolve(found.registrationId);
      }),
    );
    await cdp.send('ServiceWorker.enable');
    const registrationId = await registration;
    const message = { title: 'qrid', body: 'A sign-in waits for your approval.', url: '/phone/inbox/abc123', tag: 'abc123' };
    await cdp.send('ServiceWorker.deliverPushMessage', { origin: qrid.issuer, registrationId, data: JSON.stringify(message) });
    await expect
      .poll(() =>
        phone.evaluate(async () =>
          (await (await navigator.serviceWorker.ready).getNotifications()).map((n) => ({ title: n.title, body: n.body, tag: n.tag, data: n.data as unknown })),
        ),
      )
      .toEqual([{ title: 'qrid', body: 'A sign-in waits for your approval.', tag: 'abc123', data: { url: '/phone/inbox/abc123' } }]);
  });

  it('keeps its inbox live after a refused stream (a 503 while the store fails over): it opens a new one and reads the inbox again', async () => {
    const context = phone.context();
    let refusals = 0;
    await context.route('**/phone/inbox/events', async (route) => {
      refusals += 1;
      await route.fulfill({ status: 503, contentType: 'text/html', body: 'unavailable' });
    });
    await phone.goto(`${qrid.issuer}/phone`);
    await expect.poll(() => refusals).toBeGreaterThan(0);
    // EventSource gives up on a refusal; the page's own retry (within five seconds) must come.
    const reopened = phone.waitForResponse((r) => r.url() === `${qrid.issuer}/phone/inbox/events` && r.status() === 200, { timeout: 30_000 });
    const reread = phone.waitForRequest((r) => r.url() === `${qrid.issuer}/phone/inbox`, { timeout: 30_000 });
    await context.unrouteAll();
    await reopened;
    await reread;
  });

  it('is installable: a manifest, icons, a service worker at the root, an offline page', async () => {
    const manifest = (await (await fetch(`${qrid.issuer}/static/manifest.webmanifest`)).json()) as Record<string, unknown>;
    expect(manifest).toMatchObject({ start_url: '/phone', scope: '/', display: 'standalone' });
    const icons = manifest.icons as { src: string; sizes: string }[];
    for (const icon of icons) expect((await fetch(`${qrid.issuer}${icon.src}`)).status, icon.src).toBe(200);
    expect(icons.map((i) => i.sizes)).toEqual(expect.arrayContaining(['192x192', '512x512']));
    const worker = await fetch(`${qrid.issuer}/sw.js`);
    expect(worker.headers.get('content-type')).toContain('javascript');
    expect(await worker.text()).toContain("addEventListener('push'");
    expect((await fetch(`${qrid.issuer}/offline`)).status).toBe(200);
    expect(await phone.evaluate(() => navigator.serviceWorker.controller?.scriptURL)).toBe(`${qrid.issuer}/sw.js`);
  });
});
