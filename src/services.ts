import type Provider from 'oidc-provider';

import type { Consents } from './accounts/consents.js';
import type { Devices } from './accounts/devices.js';
import type { Enrollments } from './accounts/enrollments.js';
import type { PasskeySetup } from './accounts/passkey-setup.js';
import type { Passkeys } from './accounts/passkeys.js';
import type { SessionRecords } from './accounts/session-records.js';
import type { Users } from './accounts/users.js';
import type { ApprovalEngine } from './approvals/approval-engine.js';
import type { ApprovalDecisions } from './approvals/decide-approval.js';
import type { Config } from './config/schema.js';
import type { Csrf } from './http/csrf.js';
import type { Logger } from './logging/logger.js';
import type { Metrics } from './observability/metrics.js';
import type { RateLimiter } from './rate-limit/rate-limiter.js';
import type { Store } from './store/store.js';
import type { StreamLimits } from './interactions/stream-limits.js';
import type { StreamRegistry } from './interactions/stream-registry.js';
import type { Views } from './views/views.js';

/** Everything a route needs, built once by buildApp and passed down explicitly. */
export interface Services {
  config: Config;
  store: Store;
  provider: Provider;
  approvals: ApprovalEngine;
  decisions: ApprovalDecisions;
  users: Users;
  devices: Devices;
  enrollments: Enrollments;
  views: Views;
  csrf: Csrf;
  limiter: RateLimiter;
  logger: Logger;
  streams: StreamRegistry;
  streamLimits: StreamLimits;
  metrics: Metrics;
  sessions: SessionRecords;
  passkeys: Passkeys;
  passkeySetup: PasskeySetup;
  consents: Consents;
}
