import { errors } from 'oidc-provider';

/** oidc-provider's SessionNotFound (by its class, its public API): the interaction cookie is missing or stale. */
export function isInteractionGone(error: unknown): boolean {
  return error instanceof errors.SessionNotFound;
}
