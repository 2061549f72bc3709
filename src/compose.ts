import { Consents } from './accounts/consents.js';
import { Devices } from './accounts/devices.js';
import { Enrollments } from './accounts/enrollments.js';
import { PasskeySetup } from './accounts/passkey-setup.js';
import { Passkeys } from './accounts/passkeys.js';
import { SessionRecords } from './accounts/session-records.js';
import { Users } from './accounts/users.js';
import { ApprovalEngine } from './approvals/approval-engine.js';
import { AddressedRequests } from './approvals/addressed-requests.js';
import { ApprovalDecisions } from './approvals/decide-approval.js';
import { Inbox } from './approvals/inbox.js';
import { requesterOutcomes } from './approvals/requester-outcomes.js';
import { PushNotifier } from './push/push-notifier.js';
import { PushSubscriptions } from './push/push-subscriptions.js';
import { VapidKeyStore } from './push/vapid-keys.js';
import type { Config } from './config/schema.js';
import { approximateNetwork } from './web/describe-client.js';
import type { Logger } from './logging/logger.js';
import { instrumentStore } from './observability/instrument-store.js';
import { Metrics } from './observability/metrics.js';
import type Provider from 'oidc-provider';

import { SigningKeys } from './keys/signing-keys.js';
import { createProvider } from './provider/create-provider.js';
import { LiveProvider } from './provider/live-provider.js';
import { RateLimiter } from './rate-limit/rate-limiter.js';
import type { Store } from './store/store.js';
import { createViews, type Views } from './web/views.js';
import { cookieKeys as makeCookieKeys } from './web/cookie-keys.js';

/**
 * qrid's services, built once from the configuration: accounts, approvals, the rate limiter and
 * oidc-provider, on the given store. The server (app.ts) adds its web pieces on top; the CLI
 * uses them as they are, with no web app, no listener and no event streams.
 */
export interface CoreServices {
  config: Config;
  logger: Logger;
  store: Store;
  metrics: Metrics;
  /**
   * The oidc-provider instance in use: a getter, since the instance is replaced when signing
   * keys or clients change (provider/live-provider.ts). Read it when needed; never keep it.
   */
  readonly provider: Provider;
  /** Switches `provider` to a new instance (key rotation, client reload). */
  liveProvider: LiveProvider;
  signingKeys: SigningKeys;
  cookieKeys: ReturnType<typeof makeCookieKeys>;
  views: Views;
  users: Users;
  devices: Devices;
  enrollments: Enrollments;
  passkeys: Passkeys;
  passkeySetup: PasskeySetup;
  consents: Consents;
  sessions: SessionRecords;
  limiter: RateLimiter;
  /** The approval requests' state machine (approvals/approval-engine.ts). */
  approvals: ApprovalEngine;
  /** The decide use case every channel calls (approvals/decide-approval.ts). */
  decisions: ApprovalDecisions;
  /** Requests addressed to one user wait here (approvals/inbox.ts). */
  inbox: Inbox;
  push: PushNotifier;
  pushSubscriptions: PushSubscriptions;
  /** CIBA and push sign-ins: requests addressed to one user (approvals/addressed-requests.ts). */
  addressed: AddressedRequests;
}

export interface ComposeDeps {
  store: Store;
  logger: Logger;
  metrics?: Metrics;
  views?: Views;
}

export async function compose(config: Config, deps: ComposeDeps): Promise<CoreServices> {
  const { logger } = deps;
  const metrics = deps.metrics ?? new Metrics();
  const store = instrumentStore(deps.store, () => metrics.storeErrors.inc());
  const views = deps.views ?? createViews();
  const cookieKeys = makeCookieKeys(config.cookie_keys);
  const users = new Users(store);
  const consents = new Consents(store);
  const devices = new Devices(store, config.enrollment.device_session_days);
  const sessions = new SessionRecords(store, config.ttl.session);
  const passkeys = new Passkeys(store, config.issuer, config.passkeys.rp_name);
  const limiter = new RateLimiter(store, config.rate_limits.window_seconds, (bucket) => metrics.rateLimited.inc({ bucket }));
  const approvals = new ApprovalEngine(
    store,
    { handleSeconds: config.qr.handle_seconds, decisionSeconds: config.qr.decision_seconds, typedCodeSeconds: config.qr.typed_code_seconds },
    logger,
    Date.now,
    config.phishing.network_rule === 'subnet' ? (a, b) => approximateNetwork(a) !== approximateNetwork(b) : () => false,
  );
  const inbox = new Inbox(store, (id) => approvals.get(id));
  const pushSubscriptions = new PushSubscriptions(store, config.push.endpoint_hosts);
  const push = new PushNotifier({
    devices,
    subscriptions: pushSubscriptions,
    vapid: new VapidKeyStore(store, config.cookie_keys),
    logger,
    subject: config.push.contact ?? (config.issuer.startsWith('https:') ? config.issuer : 'mailto:qrid@localhost'),
  });
  const addressed = new AddressedRequests({ approvals, inbox, push, config, logger });
  const signingKeys = new SigningKeys(store, config.cookie_keys);
  const liveProvider = await LiveProvider.start(
    (clients, jwks) => createProvider({ config, clients, store, users, consents, views, jwks, cookieKeys, limiter, ciba: (request) => addressed.ciba(request) }),
    signingKeys,
    logger,
    config.clients,
  );
  const outcomes = requesterOutcomes({ provider: () => liveProvider.current, approvals, inbox, devices, users, sessions, logger });
  approvals.onEvent = (event, approval) => {
    const outcome = event.slice('approval.'.length);
    metrics.logins.inc({ outcome });
    if (outcome === 'completed' && approval.decidedAt) metrics.approvalToCompletion.observe((Date.now() - approval.decidedAt) / 1000);
    outcomes(event, approval);
  };
  return {
    config,
    logger,
    store,
    metrics,
    get provider() {
      return liveProvider.current;
    },
    liveProvider,
    signingKeys,
    cookieKeys,
    views,
    users,
    devices,
    enrollments: new Enrollments(store, config.enrollment.link_seconds),
    passkeys,
    passkeySetup: new PasskeySetup(store),
    consents,
    sessions,
    inbox,
    push,
    pushSubscriptions,
    addressed,
    limiter,
    approvals,
    decisions: new ApprovalDecisions({
      approvals,
      passkeys,
      limiter,
      policy: config.passkeys.policy,
      approvalsPerAddress: config.rate_limits.approval_per_ip,
      qrFailuresPerAddress: config.rate_limits.qr_failures_per_ip,
    }),
  };
}
