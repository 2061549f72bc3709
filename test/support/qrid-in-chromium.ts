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
export function withQridInChromium(): QridInChromium {
  const fixture = {} as QridInChromium;
  beforeAll(async () => {
    // One instance, no other clock: event streams catch up from the instance's log from the start.
    fixture.qrid = await startQrid({ development: true });
    fixture.browser = await launchChromium();
  });
  afterAll(async () => {
    await fixture.browser?.close();
    await fixture.qrid?.close();
  });
  return fixture;
}
