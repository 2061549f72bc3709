/**
 * What a qrid login tells the relying party about how it happened (OIDC `acr`, RFC 8176 `amr`).
 * Only what actually happened is claimed:
 *  - `mca` (multiple-channel authentication): the browser was signed in by approving on a
 *    second device over a separate channel (the phone's own connection to qrid).
 *  - The phone proved itself with its enrolled device session: a possession factor, but a
 *    bearer cookie rather than a key proof, so no `swk`/`hwk` is claimed for it.
 */
export const ACR_DEVICE_SESSION = 'urn:qrid:acr:device';
/** Approved with a fresh passkey assertion with user verification (biometrics or PIN). */
export const ACR_PASSKEY = 'urn:qrid:acr:passkey';
/** Approved by a companion app signing the decision with its registered device key. */
export const ACR_DEVICE_KEY = 'urn:qrid:acr:device-key';
export const ACR_VALUES = [ACR_DEVICE_SESSION, ACR_PASSKEY, ACR_DEVICE_KEY];

export const AMR_DEVICE_SESSION = ['mca'];
/** `mfa`: possession of the phone plus its biometrics/PIN; `hwk`/`swk`: device-bound or synced key. */
export const amrPasskey = (keyAmr: 'hwk' | 'swk') => ['mca', 'mfa', keyAmr];
/** Proof of possession of a software key held by the companion. */
export const AMR_DEVICE_KEY = ['mca', 'swk'];

/**
 * Step-up (RFC 9470): how strong each of qrid's authentication contexts is. A request for one of
 * them is met by it or a stronger one; the ID token then says the strongest requested context
 * the approval met (`reportedAcr`), and `amr` what exactly happened.
 */
const ACR_LEVEL: Record<string, number> = { [ACR_DEVICE_SESSION]: 1, [ACR_DEVICE_KEY]: 2, [ACR_PASSKEY]: 3 };

export const acrLevel = (acr: string | undefined): number => (acr ? (ACR_LEVEL[acr] ?? 0) : 0);

/** The weakest context that meets a request for any of `acrValues` (0: no requirement). */
export function requiredAcrLevel(acrValues: readonly string[]): number {
  const levels = acrValues.map(acrLevel).filter((level) => level > 0);
  return levels.length ? Math.min(...levels) : 0;
}

/** What the ID token says: the strongest requested context the approval met, or what it was. Undefined: not met. */
export function reportedAcr(actual: string, acrValues: readonly string[]): string | undefined {
  if (!acrValues.length) return actual;
  const met = acrValues.filter((acr) => acrLevel(acr) > 0 && acrLevel(acr) <= acrLevel(actual));
  return met.sort((a, b) => acrLevel(b) - acrLevel(a))[0];
}

export interface AcrRequest {
  /** The requested contexts qrid knows, in request order. */
  values: string[];
  /** The request was essential (the `claims` parameter) and named none qrid can meet. */
  unmeetable: boolean;
}

/**
 * What an authorization request asks of the authentication: `acr_values`, or else an `acr`
 * request in the `claims` parameter (as oidc-provider does, `acr_values` wins). Values qrid does
 * not know are left out; if nothing is left of an essential request it cannot be met.
 */
export function acrRequest(params: Record<string, unknown>): AcrRequest {
  let requested: string[] = [];
  let essential = false;
  if (typeof params.acr_values === 'string') requested = params.acr_values.split(' ').filter(Boolean);
  else if (typeof params.claims === 'string') {
    try {
      const acr = (JSON.parse(params.claims) as { id_token?: { acr?: { essential?: boolean; value?: unknown; values?: unknown } } }).id_token?.acr;
      if (acr) {
        essential = acr.essential === true;
        requested = [acr.value, ...(Array.isArray(acr.values) ? acr.values : [])].filter((v): v is string => typeof v === 'string');
      }
    } catch {
      // oidc-provider refuses a malformed claims parameter before any interaction
    }
  }
  const values = [...new Set(requested.filter((acr) => acrLevel(acr) > 0))];
  return { values, unmeetable: essential && requested.length > 0 && values.length === 0 };
}
