import { afterAll, beforeAll } from 'vitest';
import type { Browser } from 'playwright-core';

import { launchChromium } from './chromium.js';
import { type RunningQrid, startQrid } from './start-qrid.js';

export interface QridInChromium {
  qrid: RunningQrid;
  browser: Browser;
}

/**
 * A describe block's qrid (development setup, with the demo RP) and Debian's Chromium, started
 * before its tests and closed after them. Read the fields inside tests only.
 */
export function withQridInChromium(overrides: Record<string, unknown> = {}): QridInChromium {
  const fixture = {} as QridInChromium;
  beforeAll(async () => {
    fixture.qrid = await startQrid({ development: true, ...overrides });
    fixture.browser = await launchChromium();
  });
  afterAll(async () => {
    await fixture.browser?.close();
    await fixture.qrid?.close();
  });
  return fixture;
}
