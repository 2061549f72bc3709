import { afterAll, beforeAll } from 'vitest';

import type { BrowserClient } from './browser-client.js';
import { enrolledPhone } from './phone.js';
import { RelyingParty } from './relying-party.js';
import { type RunningQrid, startQrid } from './start-qrid.js';

export interface SignedInPhoneFixture {
  qrid: RunningQrid;
  /** Alice's enrolled phone. */
  phone: BrowserClient;
  /** The discovered confidential test RP; copy it (`new RelyingParty(rp)`) per sign-in. */
  rp: RelyingParty;
}

/**
 * A describe block's qrid (memory store) with an enrolled phone and a discovered relying
 * party, started before its tests and closed after them. Read the fields inside tests only.
 */
export function withSignedInPhone(): SignedInPhoneFixture {
  const fixture = {} as SignedInPhoneFixture;
  beforeAll(async () => {
    fixture.qrid = await startQrid();
    ({ phone: fixture.phone } = await enrolledPhone(fixture.qrid));
    fixture.rp = await RelyingParty.discover(fixture.qrid.issuer);
  });
  afterAll(async () => {
    await fixture.qrid.close();
  });
  return fixture;
}
