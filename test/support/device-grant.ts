import { expect } from 'vitest';

import { type BrowserClient, field, type Page } from './browser-client.js';

/** The enrolled phone opens a device grant's verification link and sees the approval screen. */
export async function openVerification(phone: BrowserClient, verificationUriComplete: string): Promise<Page> {
  const url = new URL(verificationUriComplete);
  // GET posts the code on by itself (oidc-provider's self-submitting form); the next step too.
  let page = await phone.follow(await phone.get(url.pathname + url.search));
  expect(page.status, page.text.slice(0, 800)).toBe(200);
  if (page.text.includes('id="op.deviceConfirmForm"')) {
    page = await phone.follow(
      await phone.postForm(new URL(url.pathname, url.origin).href, { xsrf: field(page.text, 'xsrf'), user_code: field(page.text, 'user_code'), confirm: 'yes' }),
    );
  }
  return page;
}

/** Answers the approval screen the phone shows for a device grant. */
export async function answerVerification(phone: BrowserClient, screen: Page, decision: 'approve' | 'deny' = 'approve'): Promise<Page> {
  const action = /<form method="post" action="([^"]+)" class="decision"/.exec(screen.text)?.[1];
  if (!action) throw new Error(`not an approval screen:\n${screen.text.slice(0, 1500)}`);
  return phone.follow(await phone.postForm(action, { csrf: field(screen.text, 'csrf'), decision }));
}
