import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';

import { createRemoteJWKSet, jwtVerify } from 'jose';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { loadConfig } from '../../src/config/load.js';
import { projectRoot } from '../../src/paths.js';
import type { BrowserClient } from '../support/browser-client.js';
import { launchChromium } from '../support/chromium.js';
import { answerQr, enrolledPhone } from '../support/phone.js';
import { type RunningQrid, startQrid } from '../support/start-qrid.js';

const SPA_FILES: Record<string, [string, string]> = {
  '/index.html': ['test/interop/spa/index.html', 'text/html'],
  '/callback.html': ['test/interop/spa/callback.html', 'text/html'],
  '/app.js': ['test/interop/spa/app.js', 'text/javascript'],
  '/oidc-client-ts.min.js': ['node_modules/oidc-client-ts/dist/browser/oidc-client-ts.min.js', 'text/javascript'],
};

/** The SPA on its own origin (another port), as it would be deployed apart from qrid. */
async function serveSpa(settings: Record<string, string>): Promise<{ origin: string; server: Server }> {
  const server = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://spa').pathname;
    if (path === '/settings.json') {
      res.setHeader('Content-Type', 'application/json');
      res.end(JSON.stringify(settings));
      return;
    }
    const file = SPA_FILES[path];
    if (!file) {
      res.statusCode = 404;
      res.end();
      return;
    }
    res.setHeader('Content-Type', file[1]);
    res.end(readFileSync(join(projectRoot, file[0])));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server };
}

interface SpaUser {
  id_token: string;
  access_token: string;
  refresh_token?: string;
  profile: Record<string, unknown>;
}

/**
 * oidc-client-ts in Debian's Chromium as a public single-page client on another origin: sign-in
 * by QR (PKCE), the ID token verified against qrid's JWKS (oidc-client-ts itself does not check
 * signatures), a refresh through signinSilent, and signoutRedirect back to the app with no
 * question asked. Once with RS256 ID tokens and offline_access (a third-party app, with
 * consent), once with ES256 as a first-party app (a refresh token bound to the sign-in).
 */
describe('interop: oidc-client-ts (browser SPA, public client)', () => {
  let qrid: RunningQrid;
  let browser: Browser;
  let phone: BrowserClient;
  const spas: Record<string, { origin: string; server: Server }> = {};
  const cases = [
    { clientId: 'spa-rs', alg: 'RS256', scope: 'openid profile groups offline_access', prompt: 'consent', firstParty: false },
    { clientId: 'spa-es', alg: 'ES256', scope: 'openid profile groups', prompt: '', firstParty: true },
  ] as const;

  beforeAll(async () => {
    qrid = await startQrid({ clients: [] });
    for (const c of cases) spas[c.clientId] = await serveSpa({ issuer: qrid.issuer, clientId: c.clientId, scope: c.scope, prompt: c.prompt });
    // The clients need the SPAs' origins: register them now (a configuration reload, as SIGHUP does).
    const clients = cases.map((c) => ({
      client_id: c.clientId,
      client_name: `SPA ${c.alg}`,
      redirect_uris: [`${spas[c.clientId]?.origin}/callback.html`],
      post_logout_redirect_uris: [`${spas[c.clientId]?.origin}/index.html`],
      id_token_signed_response_alg: c.alg,
      first_party: c.firstParty,
    }));
    const reloaded = loadConfig({ env: {}, raw: { issuer: qrid.issuer, development: false, cookie_keys: qrid.config.cookie_keys, clients } });
    await qrid.qrid.services.liveProvider.reload(reloaded.clients);
    ({ phone } = await enrolledPhone(qrid));
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    for (const spa of Object.values(spas)) spa.server.close();
    await qrid?.close();
  });

  const user = (page: Page) => page.evaluate(() => (window as unknown as { app: { user(): Promise<SpaUser | null> } }).app.user());

  for (const c of cases) {
    it(`${c.clientId}: signs in by QR, verifies its ${c.alg} ID token, refreshes, signs out without a question`, async () => {
      const spa = spas[c.clientId]!;
      const page = await (await browser.newContext()).newPage();
      const errors: string[] = [];
      page.on('pageerror', (e) => errors.push(e.message));
      await page.goto(`${spa.origin}/index.html`);
      await page.waitForSelector('body[data-ready="yes"]');
      await page.evaluate(() => void (window as unknown as { app: { login(): Promise<void> } }).app.login());

      await page.waitForSelector('#qr[data-qr-url]');
      expect(new URL(page.url()).origin).toBe(qrid.issuer);
      await answerQr(phone, (await page.locator('#qr').getAttribute('data-qr-url')) as string);
      if (!c.firstParty) {
        await page.getByRole('button', { name: 'Allow' }).click({ timeout: 15_000 });
      }
      await page.waitForURL(`${spa.origin}/index.html?signed_in=1`, { timeout: 15_000 });
      await page.waitForSelector('body[data-ready="yes"]');

      const signedIn = (await user(page)) as SpaUser;
      expect(signedIn.refresh_token).toBeTruthy();
      const jwks = createRemoteJWKSet(new URL(`${qrid.issuer}/jwks`));
      const { protectedHeader, payload } = await jwtVerify(signedIn.id_token, jwks, { issuer: qrid.issuer, audience: c.clientId, algorithms: [c.alg] });
      expect(protectedHeader.alg).toBe(c.alg);
      expect(signedIn.profile).toMatchObject({ sub: payload.sub, preferred_username: 'alice', groups: [] });

      const renewed = (await page.evaluate(() => (window as unknown as { app: { renew(): Promise<SpaUser> } }).app.renew())) as SpaUser;
      expect(renewed.access_token).not.toBe(signedIn.access_token);
      expect(renewed.refresh_token).toBeTruthy();
      expect(renewed.refresh_token).not.toBe(signedIn.refresh_token);

      await page.evaluate(() => void (window as unknown as { app: { logout(): Promise<void> } }).app.logout());
      // Through qrid's "signing you out" page (its script submits it) and back, with no click.
      await page.waitForURL(`${spa.origin}/index.html`, { timeout: 15_000 });
      await page.waitForSelector('body[data-ready="yes"]');
      expect(await user(page)).toBeNull();
      // The qrid session is over: signing in again shows a QR.
      await page.evaluate(() => void (window as unknown as { app: { login(): Promise<void> } }).app.login());
      await page.waitForSelector('#qr[data-qr-url]');
      expect(errors).toEqual([]);
      await page.context().close();
    });
  }
});
