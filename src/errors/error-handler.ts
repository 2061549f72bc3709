import type { Context, Next } from 'koa';

import { redactPath } from '../http/request-log.js';
import type { Logger } from '../logging/logger.js';
import type { Views } from '../views/views.js';
import { StoreUnavailableError } from '../store/store.js';
import { interactionErrors } from './interaction-errors.js';
import { QridError } from './qrid-error.js';

/**
 * The one error handler for qrid's own routes: an HTML page for browsers, JSON for APIs.
 * A 5xx never shows its message or stack; the log gets the details under the request id.
 */
export function errorHandler(views: Views, logger: Logger) {
  return async function handleErrors(ctx: Context, next: Next): Promise<void> {
    try {
      await next();
    } catch (raw) {
      const error = normalize(raw);
      if (error.status === 503) logger.warn({ requestId: ctx.state.requestId, err: raw }, 'store unavailable');
      else if (error.status >= 500) logger.error({ err: raw, requestId: ctx.state.requestId, path: redactPath(ctx.path) }, 'request failed');
      respondWithError(ctx, views, error);
    }
  };
}

export const storeUnavailable = () =>
  new QridError(503, 'temporarily_unavailable', 'qrid cannot reach its data store right now. Please try again in a moment.', {
    title: 'Temporarily unavailable',
    headers: { 'Retry-After': '5' },
  });

export function normalize(raw: unknown): QridError {
  if (raw instanceof QridError) return raw;
  if (raw instanceof StoreUnavailableError) return storeUnavailable();
  const err = raw as { status?: unknown; statusCode?: unknown; expose?: unknown; message?: unknown; name?: unknown };
  // oidc-provider's SessionNotFound: the interaction cookie is missing or stale.
  if (err?.name === 'SessionNotFound') return interactionErrors.notFound();
  const status = typeof err?.status === 'number' ? err.status : typeof err?.statusCode === 'number' ? err.statusCode : 500;
  if (status >= 400 && status < 500 && err?.expose === true && typeof err.message === 'string') {
    return new QridError(status, status === 413 ? 'payload_too_large' : 'bad_request', err.message);
  }
  if (status >= 400 && status < 500) return new QridError(status, 'bad_request', 'The request could not be understood.');
  return new QridError(500, 'server_error', 'Something went wrong on our side.', { cause: raw, expose: false });
}

export function respondWithError(ctx: Context, views: Views, error: QridError): void {
  const message = error.expose || error.status === 503 ? error.message : 'Something went wrong on our side. Please try again.';
  ctx.status = error.status;
  for (const [name, value] of Object.entries(error.headers)) ctx.set(name, value);
  ctx.set('Cache-Control', 'no-store');
  const json = ctx.accepts('html', 'json') === 'json';
  if (json) {
    ctx.body = { error: error.code, error_description: message };
    return;
  }
  ctx.type = 'html';
  ctx.body = views.render('error.njk', {
    title: error.title ?? (error.status >= 500 ? 'Something went wrong' : 'That did not work'),
    message,
    code: error.code,
    requestId: ctx.state.requestId,
  });
}
