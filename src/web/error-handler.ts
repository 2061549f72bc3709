import type { Context, Next } from 'koa';

import { redactPath } from './request-log.js';
import { localeOf } from '../i18n/locale.js';
import { isInteractionGone } from '../provider/provider-errors.js';
import type { Logger } from '../logging/logger.js';
import type { Views } from './views.js';
import { StoreUnavailableError } from '../store/store.js';
import { interactionErrors } from '../errors/interaction-errors.js';
import { QridError } from '../errors/qrid-error.js';

/**
 * The one error handler for qrid's own routes: an HTML page for browsers, JSON for APIs, both
 * in the person's language (the catalogue's `error.<code>` texts). A 5xx never shows its
 * message or stack; the log gets the details under the request id.
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

export const storeUnavailable = () => new QridError(503, 'temporarily_unavailable', { headers: { 'Retry-After': '5' } });

export function normalize(raw: unknown): QridError {
  if (raw instanceof QridError) return raw;
  if (raw instanceof StoreUnavailableError) return storeUnavailable();
  if (isInteractionGone(raw)) return interactionErrors.notFound();
  const err = raw as { status?: unknown; statusCode?: unknown; expose?: unknown };
  const status = typeof err?.status === 'number' ? err.status : typeof err?.statusCode === 'number' ? err.statusCode : 500;
  if (status === 413) return new QridError(413, 'payload_too_large');
  if (status >= 400 && status < 500) return new QridError(status, 'bad_request');
  return new QridError(500, 'server_error', { cause: raw, expose: false });
}

/**
 * Where a person can go from an error page: a route may name a way back (`back`, e.g. to the
 * app); otherwise qrid's start page.
 */
export interface ErrorPageOptions {
  back?: { href: string; label: string };
}

export function respondWithError(ctx: Context, views: Views, error: QridError, options: ErrorPageOptions = {}): void {
  const { t } = localeOf(ctx);
  const shown = error.expose || error.status === 503;
  const message = shown ? t(error.key, error.params) : t('error.server.message');
  const next = shown && error.nextKey ? t(error.nextKey, error.params) : undefined;
  ctx.status = error.status;
  for (const [name, value] of Object.entries(error.headers)) ctx.set(name, value);
  ctx.set('Cache-Control', 'no-store');
  const json = ctx.accepts('html', 'json') === 'json';
  if (json) {
    ctx.body = { error: error.code, error_description: next ? `${message} ${next}` : message };
    return;
  }
  views.render(ctx, 'error.njk', {
    title: shown ? t(error.titleKey) : t('error.server.title'),
    message,
    next,
    back: options.back ?? { href: '/', label: t('error.page.home') },
    code: error.code,
    requestId: ctx.state.requestId,
  });
}
