import { QridError } from '../errors/qrid-error.js';

/** What the phone is told when a QR code or typed code cannot be used; each has its own page. */
export const approvalErrors = {
  unknownQr: () =>
    new QridError(404, 'qr_unknown', 'This QR code is not one qrid made, or it is too old. Scan the code on the screen again.', {
      title: 'Unknown QR code',
    }),
  expiredQr: () =>
    new QridError(410, 'qr_expired', 'This QR code has expired. The screen shows a fresh one: scan that instead.', {
      title: 'QR code expired',
    }),
  usedQr: () =>
    new QridError(409, 'qr_used', 'This QR code was already used. Each code works once; scan the current one on the screen.', {
      title: 'QR code already used',
    }),
  wrongCode: () =>
    new QridError(400, 'typed_code_invalid', 'That code is not valid. Check the code on the screen and try again.', {
      title: 'Code not recognised',
    }),
  claimedElsewhere: () =>
    new QridError(409, 'approval_claimed', 'Another device already opened this sign-in request. Only that device can answer it.', {
      title: 'Opened on another device',
    }),
  notPending: () =>
    new QridError(409, 'approval_not_pending', 'This sign-in request was already answered or has ended.', {
      title: 'Request already answered',
    }),
  wrongNumber: () =>
    new QridError(403, 'number_mismatch', 'That was not the number on the computer, so the sign-in was denied. If you did not start it yourself, someone may have sent you their QR code: do not approve it.', {
      title: 'Sign-in denied',
    }),
  expired: () =>
    new QridError(410, 'approval_expired', 'This sign-in request has expired. Start again on the computer.', {
      title: 'Request expired',
    }),
};
