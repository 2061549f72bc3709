import { expect } from 'vitest';

import { type BrowserClient, field, type Page } from './browser-client.js';
import { answerQr, readQrPage, type WaitingPage } from './phone.js';
import type { RelyingParty } from './relying-party.js';

/** Authorization request → QR page, in `desktop`. */
export async function openQrPage(desktop: BrowserClient, rp: RelyingParty, extra: Record<string, string> = {}): Promise<WaitingPage> {
  return readQrPage(await desktop.follow(await desktop.get(await rp.authorizationUrl(extra))));
}

/** From an approved QR page to the RP's callback URL (completing consent when asked). */
export async function completeToCallback(desktop: BrowserClient, waiting: WaitingPage): Promise<Page> {
  let page = await desktop.follow(await desktop.postForm(`/interaction/${waiting.uid}/complete`, { csrf: waiting.csrf }));
  const consentUid = /action="\/interaction\/([^/]+)\/consent"/.exec(page.text)?.[1];
  if (consentUid) {
    page = await desktop.follow(await desktop.postForm(`/interaction/${consentUid}/consent`, { csrf: field(page.text, 'csrf'), decision: 'allow' }));
  }
  return page;
}

/** The whole sign-in; returns the RP's callback URL. */
export async function signIn(desktop: BrowserClient, phone: BrowserClient, rp: RelyingParty, extra: Record<string, string> = {}): Promise<string> {
  const waiting = await openQrPage(desktop, rp, extra);
  expect((await answerQr(phone, waiting.qrUrl)).status).toBe(200);
  const page = await completeToCallback(desktop, waiting);
  expect(page.location, page.text.slice(0, 500)).toMatch(/[?&]code=/);
  return page.location as string;
}

/** The whole sign-in from any authorization URL (a client openid-client does not drive); returns the callback URL. */
export async function signInAt(desktop: BrowserClient, phone: BrowserClient, authorizationUrl: string): Promise<string> {
  const waiting = readQrPage(await desktop.follow(await desktop.get(authorizationUrl)));
  expect((await answerQr(phone, waiting.qrUrl)).status).toBe(200);
  const page = await completeToCallback(desktop, waiting);
  expect(page.location, page.text.slice(0, 500)).toMatch(/[?&]code=/);
  return page.location as string;
}
