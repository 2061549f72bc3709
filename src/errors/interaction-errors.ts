import { QridError } from './qrid-error.js';

/** What a browser is told when its interaction cannot be used; shared by every route that checks it. */
export const interactionErrors = {
  /** No interaction cookie, or oidc-provider no longer knows the interaction (its SessionNotFound). */
  notFound: () => new QridError(400, 'interaction_not_found'),
  /** The cookie names another interaction than the URL. */
  mismatch: () => new QridError(400, 'interaction_mismatch'),
};
