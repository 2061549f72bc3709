import { QridError } from '../errors/qrid-error.js';
import { hashSecret, randomToken } from '../security/tokens.js';
import type { Fields, Store } from '../store/store.js';

/**
 * One-time enrollment links. `invite` signs a phone in as an existing user; `setup` creates
 * the first administrator on an empty store. Stored hashed; single use under concurrency;
 * opening the link (GET) changes nothing, only the confirming POST redeems it.
 */
export type EnrollmentKind = 'invite' | 'setup';

export interface Enrollment {
  kind: EnrollmentKind;
  userId: string;
  /** 0 for a link made before links recorded it (such a link is void once its user was ever disabled). */
  createdAt: number;
  expiresAt: number;
}

const enrollmentKey = (hash: string) => `enrollment:${hash}`;
/** Redeemed links are remembered this long past expiry, to answer "already used" clearly. */
const TOMBSTONE_SECONDS = 24 * 3600;

export const enrollmentErrors = {
  unknown: () =>
    new QridError(404, 'enrollment_unknown'),
  used: () =>
    new QridError(409, 'enrollment_used'),
  expired: () =>
    new QridError(410, 'enrollment_expired'),
};

export class Enrollments {
  constructor(
    private readonly store: Store,
    private readonly linkSeconds: number,
  ) {}

  async create(kind: EnrollmentKind, userId = '', seconds = this.linkSeconds): Promise<{ token: string; expiresAt: number }> {
    const token = randomToken();
    const createdAt = Date.now();
    const expiresAt = createdAt + seconds * 1000;
    await this.store.putRecord(
      enrollmentKey(hashSecret(token)),
      { kind, userId, createdAt: String(createdAt), expiresAt: String(expiresAt), usedAt: '' },
      seconds + TOMBSTONE_SECONDS,
    );
    return { token, expiresAt };
  }

  /** Read-only check for the confirmation page. */
  async peek(token: string): Promise<Enrollment> {
    const record = await this.store.getRecord(enrollmentKey(hashSecret(token)));
    return check(record);
  }

  /** Single use: of concurrent redeemers exactly one succeeds. */
  async redeem(token: string): Promise<Enrollment> {
    const key = enrollmentKey(hashSecret(token));
    const before = await this.store.getRecord(key);
    check(before);
    const used = await this.store.patchRecord(key, { usedAt: String(Date.now()) }, { ifMatch: { usedAt: '' } });
    if (!used) throw enrollmentErrors.used();
    return toEnrollment(used);
  }
}

function check(record: Fields | undefined): Enrollment {
  if (!record) throw enrollmentErrors.unknown();
  if (record.usedAt) throw enrollmentErrors.used();
  const enrollment = toEnrollment(record);
  if (enrollment.expiresAt <= Date.now()) throw enrollmentErrors.expired();
  return enrollment;
}

function toEnrollment(record: Fields): Enrollment {
  return {
    kind: record.kind === 'setup' ? 'setup' : 'invite',
    userId: record.userId ?? '',
    createdAt: Number(record.createdAt ?? 0),
    expiresAt: Number(record.expiresAt ?? 0),
  };
}
