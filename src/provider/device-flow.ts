import type Provider from 'oidc-provider';
import type { Configuration } from 'oidc-provider';

import { TYPED_CODE_LENGTH } from '../security/tokens.js';
import { clientAddress } from '../web/client-address.js';
import type { Views } from '../web/views.js';
import { devicePages } from './device-pages.js';

/**
 * The device authorization grant (RFC 8628), oidc-provider's `features.deviceFlow`. Its user
 * codes are qrid's typed codes: oidc-provider's `base-20` is the same 20 consonants as
 * TYPED_CODE_ALPHABET (test/device-grant/device-flow.test.ts checks the codes it makes), 8 of
 * them, shown as BCDF-GHJK, so one alphabet, one field on the phone and one set of guessing
 * limits serve both (SECURITY.md).
 */
export const USER_CODE_CHARSET = 'base-20';
export const USER_CODE_MASK = `${'*'.repeat(TYPED_CODE_LENGTH / 2)}-${'*'.repeat(TYPED_CODE_LENGTH / 2)}`;

export function deviceFlowFeature(views: Views): NonNullable<NonNullable<Configuration['features']>['deviceFlow']> {
  const pages = devicePages(views);
  return {
    enabled: true,
    charset: USER_CODE_CHARSET,
    mask: USER_CODE_MASK,
    // What the phone is shown about the device that asked: the same client address as everywhere.
    deviceInfo: (ctx) => ({ ip: clientAddress(ctx), ua: String(ctx.get('user-agent') ?? '').slice(0, 512) }),
    userCodeInputSource: pages.userCodeInput,
    userCodeConfirmSource: pages.userCodeConfirm,
    successSource: pages.deviceSuccess,
  };
}

/** What asked, for a verification interaction: the device code's id, the device's address and user agent, when. */
/** The path of oidc-provider's device verification page (`/device`), where user codes are typed. */
export function verificationPath(provider: Provider): string {
  return new URL(provider.urlFor('code_verification')).pathname;
}

export interface DeviceRequest {
  deviceCode: string;
  ip: string;
  userAgent: string;
  requestedAt: number;
  expiresAt: number;
}

/** The device request behind an interaction, if it is a device grant's verification. */
export async function deviceRequestOf(provider: Provider, interaction: object): Promise<DeviceRequest | undefined> {
  // oidc-provider keeps the device code's id on the verification's interaction.
  const jti = (interaction as { deviceCode?: unknown }).deviceCode;
  if (typeof jti !== 'string' || !jti) return undefined;
  const code = await provider.DeviceCode.find(jti, { ignoreExpiration: true });
  if (!code) return undefined;
  const info = (code.deviceInfo ?? {}) as { ip?: unknown; ua?: unknown };
  return {
    deviceCode: jti,
    ip: typeof info.ip === 'string' ? info.ip : '',
    userAgent: typeof info.ua === 'string' ? info.ua : '',
    requestedAt: (code.iat ?? 0) * 1000,
    expiresAt: (code.exp ?? 0) * 1000,
  };
}

/** A user code a person typed, if it names a device request still waiting for approval. */
export async function pendingUserCode(provider: Provider, normalized: string): Promise<boolean> {
  const code = await provider.DeviceCode.findByUserCode(normalized);
  return Boolean(code && !code.accountId && !code.error && !(code as { inFlight?: boolean }).inFlight);
}
