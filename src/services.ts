import type { CoreServices } from './compose.js';
import type { Csrf } from './web/csrf.js';
import type { StreamLimits } from './interactions/stream-limits.js';
import type { StreamRegistry } from './interactions/stream-registry.js';

/** What the web routes use: qrid's services (compose.ts) and the server's own web pieces (app.ts). */
export interface Services extends CoreServices {
  csrf: Csrf;
  /** This process's open event streams (keep-alive pings, shutdown). */
  streams: StreamRegistry;
  streamLimits: StreamLimits;
}
