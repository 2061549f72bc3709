import { describe, expect, it } from 'vitest';

import { ACR_DEVICE_KEY, ACR_DEVICE_SESSION, ACR_PASSKEY, acrRequest, reportedAcr, requiredAcrLevel } from './assurance.js';

describe('step-up', () => {
  it('reads acr_values, else the claims parameter, keeping only contexts qrid knows', () => {
    expect(acrRequest({ acr_values: `urn:other ${ACR_PASSKEY}` })).toEqual({ values: [ACR_PASSKEY], unmeetable: false });
    expect(acrRequest({ claims: JSON.stringify({ id_token: { acr: { essential: true, values: [ACR_DEVICE_KEY, ACR_PASSKEY] } } }) })).toEqual({
      values: [ACR_DEVICE_KEY, ACR_PASSKEY],
      unmeetable: false,
    });
    expect(acrRequest({ claims: JSON.stringify({ id_token: { acr: { essential: true, value: 'urn:other' } } }) })).toEqual({ values: [], unmeetable: true });
    expect(acrRequest({ acr_values: 'urn:other' })).toEqual({ values: [], unmeetable: false });
    expect(acrRequest({})).toEqual({ values: [], unmeetable: false });
  });

  it('is met by the requested context or a stronger one, and reports the strongest requested one met', () => {
    expect(requiredAcrLevel([ACR_PASSKEY])).toBeGreaterThan(requiredAcrLevel([ACR_DEVICE_KEY, ACR_PASSKEY]));
    expect(requiredAcrLevel([])).toBe(0);
    expect(reportedAcr(ACR_PASSKEY, [ACR_PASSKEY])).toBe(ACR_PASSKEY);
    expect(reportedAcr(ACR_PASSKEY, [ACR_DEVICE_SESSION])).toBe(ACR_DEVICE_SESSION);
    expect(reportedAcr(ACR_DEVICE_KEY, [ACR_DEVICE_SESSION, ACR_PASSKEY])).toBe(ACR_DEVICE_SESSION);
    expect(reportedAcr(ACR_DEVICE_SESSION, [ACR_PASSKEY])).toBeUndefined();
    expect(reportedAcr(ACR_DEVICE_KEY, [ACR_PASSKEY])).toBeUndefined();
    expect(reportedAcr(ACR_DEVICE_SESSION, [])).toBe(ACR_DEVICE_SESSION);
  });
});
