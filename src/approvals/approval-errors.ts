import { QridError } from '../errors/qrid-error.js';

/** What the phone is told when a QR code or typed code cannot be used (texts: the catalogue's `error.<code>`). */
export const approvalErrors = {
  unknownQr: () => new QridError(404, 'qr_unknown'),
  expiredQr: () => new QridError(410, 'qr_expired'),
  usedQr: () => new QridError(409, 'qr_used'),
  wrongCode: () => new QridError(400, 'typed_code_invalid'),
  claimedElsewhere: () => new QridError(409, 'approval_claimed'),
  notPending: () => new QridError(409, 'approval_not_pending'),
  wrongNumber: () => new QridError(403, 'number_mismatch'),
  expired: () => new QridError(410, 'approval_expired'),
  decisionTimeOver: () => new QridError(410, 'decision_time_over'),
};
