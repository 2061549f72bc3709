import type Router from '@koa/router';
import type { Context } from 'koa';
import * as oidc from 'openid-client';

import { DEMO_TV_CLIENT_ID } from '../config/load.js';
import { QridError } from '../errors/qrid-error.js';
import { randomToken } from '../security/tokens.js';
import type { Services } from '../services.js';
import { qrSvg } from '../web/qr-image.js';
import { localeOf } from '../i18n/locale.js';

/**
 * A demo "TV" at /demo/tv (development setup only): it signs in by the device grant
 * (RFC 8628) as a TV app would, with openid-client: it shows the verification link as a QR and
 * the user code, and polls the token endpoint at the interval qrid gave it.
 */
const COOKIE = 'qrid_demo_tv';
const tvKey = (id: string) => `demo:tv:${id}`;

export function demoTvRoutes(services: Services, router: Router): void {
  const { config, store, views } = services;
  let discovered: Promise<oidc.Configuration> | undefined;
  const tv = () => {
    discovered ??= oidc
      .discovery(new URL(config.issuer), DEMO_TV_CLIENT_ID, undefined, oidc.None(), { execute: config.issuer.startsWith('http:') ? [oidc.allowInsecureRequests] : [] })
      .catch((error: unknown) => {
        discovered = undefined;
        throw new QridError(503, 'demo_discovery_failed', { cause: error });
      });
    return discovered;
  };
  const current = async (ctx: Context) => {
    const id = ctx.cookies.get(COOKIE, { signed: true });
    return id && /^[\w-]{22}$/.test(id) ? { id, record: await store.getRecord(tvKey(id)) } : undefined;
  };

  router.get('/tv', async (ctx) => {
    const tvState = (await current(ctx))?.record;
    const { t } = localeOf(ctx);
    views.render(ctx, 'demo-tv.njk', {
      state: tvState?.state ?? 'off',
      userCode: tvState?.userCode,
      verificationUri: tvState?.verificationUri,
      qrSvg: tvState?.state === 'pending' ? await qrSvg(tvState.verificationUriComplete ?? '', t('demo.tv.qr_label')) : undefined,
      qrUrl: tvState?.verificationUriComplete,
      claims: tvState?.claims ? JSON.stringify(JSON.parse(tvState.claims), null, 2) : undefined,
      error: tvState?.error,
    });
  });

  router.post('/tv/start', async (ctx) => {
    const started = await oidc.initiateDeviceAuthorization(await tv(), { scope: 'openid profile' });
    const id = randomToken();
    await store.putRecord(
      tvKey(id),
      {
        state: 'pending',
        deviceCode: started.device_code,
        userCode: started.user_code,
        verificationUri: started.verification_uri,
        verificationUriComplete: started.verification_uri_complete ?? started.verification_uri,
        interval: String(started.interval ?? 5),
        nextPollAt: String(Date.now() + (started.interval ?? 5) * 1000),
      },
      started.expires_in + 600,
    );
    ctx.cookies.set(COOKIE, id, { httpOnly: true, sameSite: 'lax', signed: true, secure: config.issuer.startsWith('https:') });
    ctx.status = 303;
    ctx.redirect('/demo/tv');
  });

  /** The page asks now and then; the TV polls qrid when its interval allows, as RFC 8628 says. */
  router.get('/tv/status', async (ctx) => {
    const found = await current(ctx);
    const record = found?.record;
    if (!found || !record) {
      ctx.body = { state: 'off' };
      return;
    }
    if (record.state === 'pending' && Date.now() >= Number(record.nextPollAt)) {
      let interval = Number(record.interval);
      let change: Record<string, string> = {};
      try {
        const tokens = await oidc.genericGrantRequest(await tv(), 'urn:ietf:params:oauth:grant-type:device_code', { device_code: record.deviceCode ?? '' });
        change = { state: 'done', claims: JSON.stringify(tokens.claims() ?? {}) };
      } catch (error) {
        const code = error instanceof oidc.ResponseBodyError ? error.error : 'server_error';
        if (code === 'slow_down') interval += 5;
        change = code === 'authorization_pending' || code === 'slow_down' ? {} : { state: 'failed', error: code };
      }
      await store.patchRecord(tvKey(found.id), { ...change, interval: String(interval), nextPollAt: String(Date.now() + interval * 1000) });
      ctx.body = { state: change.state ?? 'pending' };
      return;
    }
    ctx.body = { state: record.state };
  });

  router.post('/tv/off', async (ctx) => {
    const found = await current(ctx);
    if (found) await store.deleteKeys([tvKey(found.id)]);
    ctx.cookies.set(COOKIE, null);
    ctx.status = 303;
    ctx.redirect('/demo/tv');
  });
}
