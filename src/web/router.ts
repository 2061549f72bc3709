import Router from '@koa/router';

/**
 * Every router of qrid's is made here: paths match exactly as written, letter case included.
 * A path that differs only in case (`/Q/<handle>`, `/ENROLL/<token>`) matches no route and is
 * a 404, so the request log's redaction of one-time secrets (request-log.ts) only has to know
 * the paths the routes themselves match.
 */
export function createRouter(options: { prefix?: string } = {}): Router {
  return new Router({ sensitive: true, ...options });
}
