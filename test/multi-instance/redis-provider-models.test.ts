import type { Redis } from 'ioredis';
import * as oidc from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { createRedisStore } from '../../src/store/redis-store.js';
import { BrowserClient, field } from '../support/browser-client.js';
import { answerQr, enrolledPhone, readQrPage } from '../support/phone.js';
import { deletePrefix, REDIS_URL, requireRedis, testPrefix } from '../support/redis.js';
import { RelyingParty } from '../support/relying-party.js';
import { RP_REDIRECT, type RunningQrid, startQrid } from '../support/start-qrid.js';

/**
 * oidc-provider's models on the Redis store, through real protocol use: a pushed
 * authorization request (the model the old example adapter stored as a string and consumed as
 * a hash), interaction, session, grant, code, access and refresh tokens, every key with a TTL.
 */
describe('oidc-provider on the Redis store', () => {
  const prefix = testPrefix('models');
  let raw: Redis;
  let qrid: RunningQrid;

  beforeAll(async () => {
    raw = await requireRedis();
    qrid = await startQrid(
      { store: { kind: 'redis', redis_url: REDIS_URL, key_prefix: prefix } },
      { store: createRedisStore({ url: REDIS_URL, keyPrefix: prefix }) },
    );
  });
  afterAll(async () => {
    await qrid?.close();
    await deletePrefix(raw, prefix);
    await raw?.quit();
  });

  it('signs in through PAR, rotates refresh tokens and keeps every expiring key expiring', async () => {
    const { phone } = await enrolledPhone(qrid);
    const rp = await RelyingParty.discover(qrid.issuer);
    const parUrl = await oidc.buildAuthorizationUrlWithPAR(rp.config, {
      redirect_uri: RP_REDIRECT,
      scope: 'openid offline_access',
      prompt: 'consent',
      code_challenge: await oidc.calculatePKCECodeChallenge(rp.verifier),
      code_challenge_method: 'S256',
      state: rp.state,
      nonce: rp.nonce,
    });
    expect(parUrl.searchParams.get('request_uri')).toMatch(/^urn:ietf:params:oauth:request_uri:/);
    const desktop = new BrowserClient(qrid.issuer);
    const waiting = readQrPage(await desktop.follow(await desktop.get(parUrl.href)));
    await answerQr(phone, waiting.qrUrl);
    let page = await desktop.follow(await desktop.postForm(`/interaction/${waiting.uid}/complete`, { csrf: waiting.csrf }));
    const consentUid = /action="\/interaction\/([^/]+)\/consent"/.exec(page.text)?.[1] as string;
    page = await desktop.follow(await desktop.postForm(`/interaction/${consentUid}/consent`, { csrf: field(page.text, 'csrf'), decision: 'allow' }));
    const tokens = await rp.redeem(page.location as string);
    // The request_uri was used up with the authorization.
    const again = await desktop.get(parUrl.href);
    expect(again.location ?? '').not.toContain('/interaction/');

    const refreshed = await oidc.refreshTokenGrant(rp.config, tokens.refresh_token as string);
    await expect(oidc.refreshTokenGrant(rp.config, tokens.refresh_token as string)).rejects.toMatchObject({ error: 'invalid_grant' });
    await expect(oidc.refreshTokenGrant(rp.config, refreshed.refresh_token as string)).rejects.toMatchObject({ error: 'invalid_grant' });

    const keys: string[] = [];
    let cursor = '0';
    do {
      const [next, found] = await raw.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 500);
      keys.push(...found);
      cursor = next;
    } while (cursor !== '0');
    const persistent: string[] = [];
    for (const key of keys) if ((await raw.pttl(key)) === -1) persistent.push(key.slice(prefix.length));
    // Only records meant to live until deleted have no TTL: users, name index, user list and keys.
    for (const key of persistent) expect(key).toMatch(/^(user:|user-by-name:|users$|user-devices:|signing-key:|signing-keys$)/);
    expect(keys.map((k) => k.slice(prefix.length)).join(' ')).toContain('oidc:Session:');
    // The refresh token replay revoked the grant: it is gone from Redis, and with it every token
    // issued under it is refused (above); their records expire on their own (checked: no TTL-less key).
    expect(keys.some((k) => k.includes('oidc:Grant:'))).toBe(false);
  });
});
