import { interactionPolicy, type KoaContextWithOIDC } from 'oidc-provider';

import { acrLevel, acrRequest, requiredAcrLevel } from './assurance.js';

/**
 * oidc-provider's interaction policy plus two login checks:
 *
 * - Every device grant (RFC 8628) is approved on its own: a browser that already holds a qrid
 *   session (the phone that approved a TV yesterday) must not approve today's device code
 *   silently, or any verification link someone sends would sign their device in.
 * - Step-up (RFC 9470): an app that asks for a stronger authentication context than this
 *   browser's qrid session was signed in with gets a new approval instead of the session.
 *   (oidc-provider itself re-asks only for an essential `acr`, and compares names rather than
 *   strength.) The approval then has to meet the request (approvals/approval-policy.ts).
 */
export function interactionPolicyWithChecks(): interactionPolicy.DefaultPolicy {
  const policy = interactionPolicy.base();
  policy.get('login')?.checks.add(
    new interactionPolicy.Check('device_grant', 'each device grant is approved on its own', 'login_required', (ctx: KoaContextWithOIDC) =>
      ctx.oidc.deviceCode && !ctx.oidc.result?.login ? interactionPolicy.Check.REQUEST_PROMPT : interactionPolicy.Check.NO_NEED_TO_PROMPT,
    ),
  );
  policy.get('login')?.checks.add(
    new interactionPolicy.Check('acr_not_met', 'the requested authentication context is stronger than the session', 'login_required', (ctx: KoaContextWithOIDC) => {
      const { session, params, result } = ctx.oidc;
      // No session: no_session asks already. Just signed in: the approval met the request.
      if (!session?.accountId || result?.login) return interactionPolicy.Check.NO_NEED_TO_PROMPT;
      const required = requiredAcrLevel(acrRequest(params ?? {}).values);
      return acrLevel(session.acr) < required ? interactionPolicy.Check.REQUEST_PROMPT : interactionPolicy.Check.NO_NEED_TO_PROMPT;
    }),
  );
  return policy;
}
