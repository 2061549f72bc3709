import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { BrowserClient, field, type Page } from '../support/browser-client.js';
import { enrolledPhone } from '../support/phone.js';
import { RelyingParty } from '../support/relying-party.js';
import { signIn } from '../support/sign-in.js';
import { CONFIDENTIAL, RP_LOGOUT_REDIRECT, RP_REDIRECT, type RunningQrid, startQrid, TEST_RP_CLIENT } from '../support/start-qrid.js';

const CAREFUL = { id: 'careful-rp', secret: 'careful-rp-secret-that-is-long-enough-0123456789' };

/**
 * RP-initiated logout: the app that signed this person in, with a valid `id_token_hint` of
 * theirs and a registered `post_logout_redirect_uri`, signs them out without "Sign out?";
 * anything less, or a client configured to always ask, gets the question.
 */
describe('RP-initiated logout', () => {
  let qrid: RunningQrid;
  let phone: BrowserClient;

  beforeAll(async () => {
    qrid = await startQrid({
      clients: [
        TEST_RP_CLIENT,
        { client_id: CAREFUL.id, client_secret: CAREFUL.secret, client_name: 'Careful RP', redirect_uris: [RP_REDIRECT], post_logout_redirect_uris: [RP_LOGOUT_REDIRECT], always_confirm_logout: true },
      ],
    });
    ({ phone } = await enrolledPhone(qrid));
  });
  afterAll(async () => {
    await qrid.close();
  });

  async function signedIn(clientId = CONFIDENTIAL.id, secret = CONFIDENTIAL.secret, as = phone) {
    const desktop = new BrowserClient(qrid.issuer);
    const rp = await RelyingParty.discover(qrid.issuer, clientId, secret);
    const tokens = await rp.redeem(await signIn(desktop, as, rp));
    return { desktop, rp, idToken: tokens.id_token as string };
  }

  const endSession = (desktop: BrowserClient, params: Record<string, string>) => desktop.get(`/session/end?${new URLSearchParams(params).toString()}`);

  /** What a browser does on the "signing you out" page: its script presses the one button. */
  async function continueOut(desktop: BrowserClient, page: Page): Promise<Page> {
    expect(page.text).toContain('data-auto-submit');
    expect(page.text).toContain('src="/static/auto-submit.js"');
    return desktop.postForm('/session/end/confirm', { xsrf: field(page.text, 'xsrf'), logout: 'yes' });
  }

  async function stillSignedIn(desktop: BrowserClient, rp: RelyingParty): Promise<boolean> {
    const silent = await desktop.follow(await desktop.get(await new RelyingParty(rp).authorizationUrl({ prompt: 'none' })));
    return /[?&]code=/.test(silent.location ?? '');
  }

  it('signs out at once for the app that signed the person in, then returns to it', async () => {
    const { desktop, rp, idToken } = await signedIn();
    const page = await endSession(desktop, { id_token_hint: idToken, post_logout_redirect_uri: RP_LOGOUT_REDIRECT, state: 'abc' });
    expect(page.status).toBe(200);
    expect(page.text).toContain('Signing you out of Test RP');
    expect(page.text).not.toContain('Stay signed in');
    const done = await continueOut(desktop, page);
    expect(done.status).toBe(303);
    expect(done.location).toBe(`${RP_LOGOUT_REDIRECT}?state=abc`);
    expect(await stillSignedIn(desktop, rp)).toBe(false);
  });

  it('asks without a hint, without a post-logout URI, or for a client configured to always ask', async () => {
    const { desktop, rp, idToken } = await signedIn();
    const noHint = await endSession(desktop, { client_id: CONFIDENTIAL.id, post_logout_redirect_uri: RP_LOGOUT_REDIRECT });
    expect(noHint.text).toContain('Sign out of Test RP?');
    expect(noHint.text).toContain('Stay signed in');
    expect(noHint.text).not.toContain('data-auto-submit');
    const noRedirect = await endSession(desktop, { id_token_hint: idToken });
    expect(noRedirect.text).toContain('Stay signed in');
    expect(await stillSignedIn(desktop, rp)).toBe(true);

    const careful = await signedIn(CAREFUL.id, CAREFUL.secret);
    const asked = await endSession(careful.desktop, { id_token_hint: careful.idToken, post_logout_redirect_uri: RP_LOGOUT_REDIRECT });
    expect(asked.text).toContain('Sign out of Careful RP?');
    expect(asked.text).not.toContain('data-auto-submit');
  });

  it("asks when the hint is someone else's, and refuses one that is not qrid's", async () => {
    const { idToken: bobsToken } = await signedIn(CONFIDENTIAL.id, CONFIDENTIAL.secret, (await enrolledPhone(qrid, { username: 'bob' })).phone);
    const { desktop, rp } = await signedIn();
    const page = await endSession(desktop, { id_token_hint: bobsToken, post_logout_redirect_uri: RP_LOGOUT_REDIRECT });
    expect(page.text).toContain('Stay signed in');
    expect(page.text).not.toContain('data-auto-submit');

    const [header, payload] = bobsToken.split('.');
    const forged = await endSession(desktop, { id_token_hint: `${header}.${payload}.${'A'.repeat(342)}`, post_logout_redirect_uri: RP_LOGOUT_REDIRECT });
    expect(forged.status).toBe(400);
    expect(forged.text).not.toContain('xsrf');
    expect(await stillSignedIn(desktop, rp)).toBe(true);
  });
});
