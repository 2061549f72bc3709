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
