import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { BrowserClient } from '../support/browser-client.js';
import { type RunningQrid, startQrid } from '../support/start-qrid.js';

/**
 * Error pages say in plain words what happened and what the person can do, keep the error code
 * and a reference for support, and offer a way on; in the person's language.
 */
describe('error pages', () => {
  let qrid: RunningQrid;

  beforeAll(async () => {
    qrid = await startQrid();
  });
  afterAll(async () => {
    await qrid.close();
  });

  const text = (html: string) => html.replace(/<[^>]+>/g, ' ').replace(/&#39;/g, "'").replace(/\s+/g, ' ');

  it('a protocol error from oidc-provider is told in plain words, with what to do, the code and a reference, and a way on', async () => {
    const page = await new BrowserClient(qrid.issuer).get('/auth?response_type=code');
    expect(page.status).toBe(400);
    const words = text(page.text);
    expect(words).toContain('The app sent an incomplete or broken sign-in request.');
    expect(words).toContain('Go back to the app and try again.');
    expect(words).toMatch(/Error code: invalid_request · Reference: [\w-]{36}/);
    expect(words).toContain("missing required parameter 'client_id'"); // the technical detail stays, for support
    expect(page.text).toContain('<a class="button primary" href="/" id="error-back">');
    expect(text((await new BrowserClient(qrid.issuer).get('/auth?client_id=nope&response_type=code')).text)).toContain('not known to qrid');
  });

  it('qrid\'s own errors say what happened and what to do next, in the person\'s language', async () => {
    const gone = await new BrowserClient(qrid.issuer).get('/interaction/abcdefghijklmnop');
    expect(text(gone.text)).toContain('This sign-in page has expired or was opened in a different browser. Go back to the app and start the sign-in again.');
    const german = await new BrowserClient(qrid.issuer).get('/interaction/abcdefghijklmnop', { 'Accept-Language': 'de-CH,de;q=0.9' });
    expect(german.text).toContain('<html lang="de">');
    expect(text(german.text)).toContain('Diese Anmeldeseite ist abgelaufen oder wurde in einem anderen Browser geöffnet.');
    expect(text(german.text)).toMatch(/Fehlercode: interaction_not_found · Referenz: [\w-]{36}/);
    // APIs get the same words as JSON.
    const json = await new BrowserClient(qrid.issuer).get('/interaction/abcdefghijklmnop/status', { Accept: 'application/json', 'Accept-Language': 'de' });
    expect(JSON.parse(json.text)).toMatchObject({ error: 'interaction_not_found', error_description: expect.stringContaining('Anmeldeseite ist abgelaufen') });
  });
});
