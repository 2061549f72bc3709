import { QridError } from './qrid-error.js';

/** What a browser is told when its interaction cannot be used; shared by every route that checks it. */
export const interactionErrors = {
  /** No interaction cookie, or oidc-provider no longer knows the interaction (its SessionNotFound). */
  notFound: () =>
    new QridError(
      400,
      'interaction_not_found',
      'This sign-in page has expired or was opened in a different browser. Go back to the app and start the sign-in again.',
      { title: 'Sign-in expired' },
    ),
  /** The cookie names another interaction than the URL. */
  mismatch: () =>
    new QridError(400, 'interaction_mismatch', 'This page belongs to a different sign-in. Go back to the app and start again.', {
      title: 'Sign-in expired',
    }),
};
