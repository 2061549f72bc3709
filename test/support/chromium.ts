import { existsSync } from 'node:fs';

import { type Browser, chromium } from 'playwright-core';

import { PHONE_UA } from './phone.js';

export const CHROMIUM_PATH = '/usr/bin/chromium';

/** A phone-sized, touch, mobile-UA browser context (the approving phone in browser tests). */
export const PHONE_CONTEXT = { viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true, userAgent: PHONE_UA };

/** Debian's Chromium through playwright-core; never a downloaded browser. */
export async function launchChromium(extraArgs: readonly string[] = []): Promise<Browser> {
  if (!existsSync(CHROMIUM_PATH)) {
    throw new Error(`Chromium is not installed at ${CHROMIUM_PATH}: run "apt-get install -y chromium" (npm test does this through scripts/test-prerequisites.sh)`);
  }
  return chromium.launch({
    executablePath: CHROMIUM_PATH,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--disable-quic',
      ...extraArgs,
    ],
  });
}
