import type { Context } from 'koa';

import type { MessageKey } from '../i18n/catalogues.js';
import { localeOf } from '../i18n/locale.js';
import { inboxItems } from './inbox-routes.js';
import type { Services } from '../services.js';
import { sessionViews } from './account-view.js';
import { currentDevice, deviceCsrfBinding, type SignedInDevice } from './device-session.js';
import { passkeySetupSecret } from './passkey-routes.js';

/**
 * GET /phone — the phone's qrid page: who is signed in here, the typed-code form, recent
 * approvals ("This wasn't me"), every browser session, the apps allowed, every device with
 * their sign-out and remove buttons, the passkey, and signing in another device.
 */
export function phoneHome(services: Services) {
  return async function home(ctx: Context): Promise<void> {
    const signedIn = await currentDevice(services, ctx);
    if (!signedIn) {
      services.views.render(ctx, 'phone-not-signed-in.njk');
      return;
    }
    await renderPhoneHome(services, ctx, signedIn, { notice: noticeFor(ctx.query) });
  };
}

/** The home page, also shown again with an error beside the code field when a typed code did not work. */
export async function renderPhoneHome(
  services: Services,
  ctx: Context,
  { user, device }: SignedInDevice,
  extra: { notice?: MessageKey | undefined; codeError?: string; codeValue?: string } = {},
): Promise<void> {
  const { t } = localeOf(ctx);
  const devices = await services.devices.listForUser(user.id);
  const sessions = await sessionViews(services, ctx, user, devices);
  const consents = await Promise.all(
    (await services.consents.list(user.id)).map(async (c) => ({
      ...c,
      clientName: (await services.provider.Client.find(c.clientId))?.clientName ?? c.clientId,
      scopes: c.scopes.filter((s) => s !== 'openid').join(', '),
    })),
  );
  services.views.render(ctx, 'phone-home.njk', {
    user,
    device,
    csrf: services.csrf.token(deviceCsrfBinding(device)),
    sessions,
    recent: sessions.filter((s) => s.recent),
    consents,
    devices: devices.map((d) => ({ ...d, current: d.id === device.id })),
    hasPasskey: await services.passkeys.hasPasskey(device.id),
    passkeySetupOpen: await services.passkeySetup.isOpen(device.id, passkeySetupSecret(ctx, services.config)),
    passkeyPolicy: services.config.passkeys.policy,
    notice: extra.notice ? t(extra.notice) : undefined,
    codeError: extra.codeError,
    codeValue: extra.codeValue,
    inbox: await inboxItems(services, ctx, user.id),
    pushKey: (await services.push.publicKey()) ?? '',
    pushOn: Boolean(await services.pushSubscriptions.find(device.id)),
  });
}

const NOTICES: Record<string, MessageKey> = {
  enrolled: 'phone.notice.enrolled',
  passkey: 'phone.notice.passkey',
  ended: 'phone.notice.ended',
  reported: 'phone.notice.reported',
  removed: 'phone.notice.removed',
  renamed: 'phone.notice.renamed',
  consent: 'phone.notice.consent_revoked',
};

function noticeFor(query: Record<string, unknown>): MessageKey | undefined {
  return Object.keys(NOTICES).find((name) => query[name]) ? NOTICES[Object.keys(NOTICES).find((name) => query[name]) as string] : undefined;
}
