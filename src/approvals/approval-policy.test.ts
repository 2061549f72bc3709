import { describe, expect, it } from 'vitest';

import type { Device } from '../accounts/devices.js';
import { ACR_DEVICE_KEY, ACR_DEVICE_SESSION, ACR_PASSKEY } from '../provider/assurance.js';
import { type PasskeyPolicy, passkeyNeeded } from './approval-policy.js';

const device = { id: 'd1' } as Device;
const deps = (policy: PasskeyPolicy, has: boolean) => ({ policy, passkeys: { hasPasskey: async () => has, verify: async () => ({ keyAmr: 'hwk' as const, verifiedAt: 0 }) } });
const asking = (...acrValues: string[]) => ({ acrValues });

/** What each device may do when the app asks for a context (step-up), under each policy. */
describe('passkeyNeeded with step-up', () => {
  it('a request for the passkey context needs a passkey assertion whatever the policy', async () => {
    for (const policy of ['off', 'preferred', 'required'] as const) {
      expect(await passkeyNeeded(deps(policy, true), device, 'device-session', asking(ACR_PASSKEY))).toBe(true);
      await expect(passkeyNeeded(deps(policy, false), device, 'device-session', asking(ACR_PASSKEY))).rejects.toMatchObject({ key: 'error.passkey_required.app' });
    }
    await expect(passkeyNeeded(deps('off', true), device, 'device-key', asking(ACR_PASSKEY))).rejects.toMatchObject({ key: 'error.passkey_required.app_device_key' });
  });

  it('a request for the device-key context is met by a companion key or a passkey, not by a session alone', async () => {
    expect(await passkeyNeeded(deps('off', false), device, 'device-key', asking(ACR_DEVICE_KEY))).toBe(false);
    expect(await passkeyNeeded(deps('off', true), device, 'device-session', asking(ACR_DEVICE_KEY))).toBe(true);
    await expect(passkeyNeeded(deps('preferred', false), device, 'device-session', asking(ACR_DEVICE_KEY))).rejects.toMatchObject({ code: 'passkey_required' });
  });

  it('a request for the device context, or none, leaves the policy as it is', async () => {
    for (const request of [asking(ACR_DEVICE_SESSION), asking(), undefined]) {
      expect(await passkeyNeeded(deps('off', true), device, 'device-session', request)).toBe(false);
      expect(await passkeyNeeded(deps('preferred', true), device, 'device-session', request)).toBe(true);
      expect(await passkeyNeeded(deps('preferred', false), device, 'device-session', request)).toBe(false);
      await expect(passkeyNeeded(deps('required', false), device, 'device-session', request)).rejects.toMatchObject({ code: 'passkey_required' });
    }
  });

  it('the weakest requested context decides', async () => {
    expect(await passkeyNeeded(deps('off', false), device, 'device-session', asking(ACR_PASSKEY, ACR_DEVICE_SESSION))).toBe(false);
  });
});
