import * as oidc from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { adminConsole } from '../support/admin-console.js';
import { BrowserClient, field } from '../support/browser-client.js';
import { enrolledPhone } from '../support/phone.js';
import { RelyingParty } from '../support/relying-party.js';
import { signIn } from '../support/sign-in.js';
import { FIRST_PARTY, type RunningQrid, startQrid } from '../support/start-qrid.js';

/**
 * What apps learn about a person: discovery lists exactly the claims qrid issues; the `groups`
 * scope adds `groups` to the ID token and userinfo; the name, email (verified: only an
 * administrator sets it) and groups an administrator sets in the console are what apps receive.
 */
describe('claims, groups and profile', () => {
  let qrid: RunningQrid;
  let adminPhone: BrowserClient;
  let adminId: string;

  beforeAll(async () => {
    qrid = await startQrid();
    ({ phone: adminPhone, userId: adminId } = await enrolledPhone(qrid, { username: 'root', name: 'Root Admin', email: 'root@example.com' }));
  });
  afterAll(async () => {
    await qrid.close();
  });

  async function signInAs(scope: string) {
    const rp = await RelyingParty.discover(qrid.issuer, FIRST_PARTY.id, null);
    const tokens = await rp.redeem(await signIn(new BrowserClient(qrid.issuer), adminPhone, rp, { scope }));
    const userinfo = await oidc.fetchUserInfo(rp.config, tokens.access_token, adminId);
    return { idToken: tokens.claims() as Record<string, unknown>, userinfo: userinfo as Record<string, unknown> };
  }

  it('lists exactly the claims and scopes qrid issues', async () => {
    const discovery = (await (await fetch(`${qrid.issuer}/.well-known/openid-configuration`)).json()) as Record<string, string[]>;
    expect([...(discovery.claims_supported ?? [])].sort()).toEqual(
      ['acr', 'amr', 'auth_time', 'email', 'email_verified', 'groups', 'iss', 'name', 'preferred_username', 'sid', 'sub'].sort(),
    );
    expect([...(discovery.scopes_supported ?? [])].sort()).toEqual(['email', 'groups', 'offline_access', 'openid', 'profile']);
  });

  it('sends what an administrator set, groups only with the groups scope, in the ID token and userinfo alike', async () => {
    const { desktop, page } = await adminConsole(qrid, adminPhone);
    const edit = await desktop.get(`/admin/users/${adminId}`);
    expect(edit.status).toBe(200);
    expect(edit.text).toContain('value="root@example.com"');
    const saved = await desktop.postForm(`/admin/users/${adminId}/profile`, {
      csrf: field(page.text, 'csrf'),
      name: 'Ruth Admin',
      email: 'ruth@example.com',
      groups: 'grafana-admins, staff,org/platform',
    });
    expect(saved.status).toBe(303);
    expect((await desktop.follow(saved)).text).toContain('root is updated');

    const all = await signInAs('openid profile email groups');
    for (const claims of [all.idToken, all.userinfo]) {
      expect(claims).toMatchObject({
        sub: adminId,
        name: 'Ruth Admin',
        preferred_username: 'root',
        email: 'ruth@example.com',
        email_verified: true,
        groups: ['grafana-admins', 'org/platform', 'staff'],
      });
    }
    const every = new Set([...Object.keys(all.idToken), ...Object.keys(all.userinfo)]);
    const discovery = (await (await fetch(`${qrid.issuer}/.well-known/openid-configuration`)).json()) as { claims_supported: string[] };
    // `sid` goes only to clients with back-channel logout (test/sessions covers it).
    for (const claim of discovery.claims_supported.filter((c) => c !== 'sid')) expect(every, `${claim} is listed but never issued`).toContain(claim);

    const bare = await signInAs('openid');
    for (const claims of [bare.idToken, bare.userinfo]) {
      for (const absent of ['groups', 'email', 'name']) expect(claims).not.toHaveProperty(absent);
    }
    const noGroups = await signInAs('openid profile email');
    expect(noGroups.idToken).not.toHaveProperty('groups');
    expect(noGroups.idToken).toHaveProperty('email', 'ruth@example.com');
  });

  it('refuses a bad group name with a page that names it, and changes nothing', async () => {
    const { desktop, page } = await adminConsole(qrid, adminPhone);
    const refused = await desktop.postForm(`/admin/users/${adminId}/profile`, { csrf: field(page.text, 'csrf'), name: 'X', email: '', groups: 'ok, not ok!' });
    expect(refused.status).toBe(400);
    expect(refused.text).toContain('&quot;ok!&quot; is not a group name');
    expect((await qrid.qrid.services.users.find(adminId))?.name).toBe('Ruth Admin');
    const badEmail = await desktop.postForm(`/admin/users/${adminId}/profile`, { csrf: field(page.text, 'csrf'), name: 'X', email: 'nope', groups: '' });
    expect(badEmail.status).toBe(400);
    expect((await qrid.qrid.services.users.find(adminId))?.groups).toEqual(['grafana-admins', 'org/platform', 'staff']);
  });
});
