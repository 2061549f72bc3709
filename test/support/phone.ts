import { expect } from 'vitest';

import type { RunningQrid } from './start-qrid.js';
import { BrowserClient, field, type Page } from './browser-client.js';

export const PHONE_UA =
  'Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Mobile Safari/537.36';

/** A phone that enrolled through a real enrollment link (setup link when the store is empty). */
export async function enrolledPhone(
  qrid: RunningQrid,
  user: { username: string; name?: string; email?: string } = { username: 'alice', name: 'Alice Example', email: 'alice@example.com' },
): Promise<{ phone: BrowserClient; userId: string }> {
  const { users, enrollments } = qrid.qrid.services;
  const phone = new BrowserClient(qrid.issuer, PHONE_UA);
  const empty = (await users.count()) === 0;
  const existing = empty ? undefined : (await users.findByUsername(user.username)) ?? (await users.create(user));
  const { token } = await enrollments.create(empty ? 'setup' : 'invite', existing?.id ?? '');
  const page = await phone.get(`/enroll/${token}`);
  expect(page.status).toBe(200);
  const done = await phone.postForm(`/enroll/${token}`, {
    csrf: field(page.text, 'csrf'),
    device_name: 'Test phone',
    ...(empty ? { username: user.username, name: user.name ?? '', email: user.email ?? '' } : {}),
  });
  expect(done.status).toBe(303);
  const created = await users.findByUsername(user.username);
  if (!created) throw new Error('enrollment did not create the user');
  return { phone, userId: created.id };
}

/** What the phone does after scanning: open, report the scan, answer. */
export async function answerQr(phone: BrowserClient, qrUrl: string, decision: 'approve' | 'deny' = 'approve'): Promise<Page> {
  const path = new URL(qrUrl).pathname;
  const page = await phone.get(path);
  expect(page.status, page.text).toBe(200);
  const csrf = field(page.text, 'csrf');
  const scan = await phone.postJson(`${path}/scan`, { 'X-CSRF-Token': csrf });
  expect(scan.status, scan.text).toBe(200);
  return phone.postForm(path, { csrf, decision });
}

export interface WaitingPage {
  uid: string;
  qrUrl: string;
  csrf: string;
  /** Only on a page that asked for one (`withTypedCode`). */
  typedCode?: string;
  html: string;
}

/** Reads the QR page the way the tests need it. */
export function readQrPage(page: Page): WaitingPage {
  const qrUrl = /id="qr"[^>]*data-qr-url="([^"]+)"/.exec(page.text)?.[1];
  const typedCode = /id="typed-code"[^>]*>([^<]+)</.exec(page.text)?.[1];
  if (!qrUrl) throw new Error(`not a QR page:\n${page.text.slice(0, 1500)}`);
  return { uid: field(page.text, 'uid'), qrUrl, csrf: field(page.text, 'csrf'), ...(typedCode ? { typedCode } : {}), html: page.text };
}

/** The waiting page after "Can't scan? Show a code to type": a code, and a new QR with it. */
export async function withTypedCode(desktop: BrowserClient, waiting: WaitingPage): Promise<WaitingPage & { typedCode: string }> {
  const page = await desktop.get(`/interaction/${waiting.uid}?typed_code=1`);
  expect(page.status, page.text).toBe(200);
  const shown = readQrPage(page);
  if (!shown.typedCode) throw new Error(`the page showed no code to type:\n${page.text.slice(0, 1500)}`);
  return { ...shown, typedCode: shown.typedCode };
}
