import { expect } from 'vitest';

import { BrowserClient, type Page } from './browser-client.js';
import { answerQr, readQrPage } from './phone.js';
import type { RunningQrid } from './start-qrid.js';

/** A desktop browser signed in to the admin console: a fresh QR approved on an administrator's phone. */
export async function adminConsole(qrid: RunningQrid, adminPhone: BrowserClient): Promise<{ desktop: BrowserClient; page: Page }> {
  const desktop = new BrowserClient(qrid.issuer);
  const waiting = readQrPage(await desktop.follow(await desktop.get('/admin/login')));
  expect((await answerQr(adminPhone, waiting.qrUrl)).status).toBe(200);
  const page = await desktop.follow(await desktop.postForm(`/interaction/${waiting.uid}/complete`, { csrf: waiting.csrf }));
  expect(page.url, page.text.slice(0, 500)).toBe(`${qrid.issuer}/admin`);
  return { desktop, page };
}
