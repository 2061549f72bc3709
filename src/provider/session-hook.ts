import type { KoaContextWithOIDC } from 'oidc-provider';

import { endSession } from '../accounts/end-session.js';
import type { Services } from '../services.js';
import type { ProviderMiddleware } from './provider-middleware.js';

/** What the completion route passes along with the login result, for the session record. */
export interface QridLoginDetails {
  approvalId: string;
  deviceId: string;
  userAgent: string;
  ip: string;
}

/**
 * Runs inside oidc-provider after each authorization: records a new session (which device
 * approved it, from which browser) once the provider has saved it, and marks existing
 * sessions as used. A session whose approving device is gone by then is ended at once (its
 * grant revoked, so the code just issued is worthless). A session oidc-provider ends itself
 * (logout) leaves qrid's records too. Never fails the response it follows.
 */
export function recordSessions(services: Services): ProviderMiddleware {
  return async function sessionHook(ctx, next): Promise<void> {
    await next();
    const { oidc } = ctx;
    if (oidc?.route === 'end_session_confirm') return recordSignOut(services, oidc);
    // `device_resume`: a device grant verified in this browser (the session is this browser's).
    const resumed = oidc?.route === 'resume' || oidc?.route === 'device_resume';
    if (!oidc || (!resumed && oidc.route !== 'authorization')) return;
    const session = oidc.session;
    if (!session?.accountId || !session.uid) return;
    try {
      const details = (oidc.result as { qrid?: QridLoginDetails } | undefined)?.qrid;
      const started =
        resumed &&
        oidc.result?.login !== undefined &&
        details !== undefined &&
        (await services.sessions.save({
          uid: session.uid,
          accountId: session.accountId,
          deviceId: details.deviceId,
          approvalId: details.approvalId,
          userAgent: details.userAgent,
          ip: details.ip,
          startedAt: Date.now(),
          lastUsedAt: Date.now(),
          amr: (session.amr as string[] | undefined) ?? [],
        }));
      if (started && !(await services.devices.find(details.deviceId))) {
        // The approving device was removed while this login was on its way: its removal may
        // have listed the account's sessions before this one was recorded, so end it here.
        await endSession(services, { uid: session.uid, accountId: session.accountId }, 'device_removed');
        return;
      }
      if (started) {
        services.logger.info(
          {
            event: 'session.started',
            sessionUid: session.uid,
            accountId: session.accountId,
            deviceId: details.deviceId,
            approvalId: details.approvalId,
            clientId: oidc.client?.clientId,
            ip: details.ip,
          },
          'session.started',
        );
      } else {
        await services.sessions.touch(session.uid, session.accountId);
      }
    } catch (error) {
      services.logger.warn({ err: error, sessionUid: session.uid }, 'could not record the session');
    }
  };
}

/**
 * oidc-provider ended a session itself (RP-initiated logout, or a different person signing in
 * on this browser): qrid's record of it goes too, and the end is audited as qrid's own are.
 */
async function recordSignOut(services: Services, oidc: KoaContextWithOIDC['oidc']): Promise<void> {
  const session = oidc.session;
  if (!session?.uid || !session.accountId || oidc.params?.logout !== 'yes') return;
  try {
    await services.sessions.remove(session.uid, session.accountId);
    services.logger.info({ event: 'session.ended', reason: 'signed_out', sessionUid: session.uid, accountId: session.accountId, clientIds: Object.keys(session.authorizations ?? {}) }, 'session.ended');
  } catch (error) {
    services.logger.warn({ err: error, sessionUid: session.uid }, 'could not remove the session record');
  }
}
