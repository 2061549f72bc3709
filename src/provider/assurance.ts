/**
 * What a qrid login tells the relying party about how it happened (OIDC `acr`, RFC 8176 `amr`).
 * Only what actually happened is claimed:
 *  - `mca` (multiple-channel authentication): the browser was signed in by approving on a
 *    second device over a separate channel (the phone's own connection to qrid).
 *  - The phone proved itself with its enrolled device session: a possession factor, but a
 *    bearer cookie rather than a key proof, so no `swk`/`hwk` is claimed for it.
 */
export const ACR_DEVICE_SESSION = 'urn:qrid:acr:device';
export const ACR_VALUES = [ACR_DEVICE_SESSION];

export const AMR_DEVICE_SESSION = ['mca'];
