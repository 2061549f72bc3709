/**
 * qrid's one error type. `code` is stable (clients and tests rely on it); `expose` says whether
 * `message` may be shown to the person (never for 5xx). Protocol errors are not QridErrors:
 * they stay oidc-provider's own.
 */
export interface QridErrorOptions {
  expose?: boolean;
  /** Short heading for the HTML error page. */
  title?: string;
  headers?: Record<string, string>;
  cause?: unknown;
}

export class QridError extends Error {
  override readonly name = 'QridError';
  readonly expose: boolean;
  readonly title: string | undefined;
  readonly headers: Record<string, string>;

  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    options: QridErrorOptions = {},
  ) {
    super(message, { cause: options.cause });
    this.expose = options.expose ?? status < 500;
    this.title = options.title;
    this.headers = options.headers ?? {};
  }
}

export const badRequest = (code: string, message: string, title?: string) =>
  new QridError(400, code, message, { title });
export const forbidden = (code: string, message: string, title?: string) =>
  new QridError(403, code, message, { title });
export const notFound = (message = 'There is nothing at this address.') =>
  new QridError(404, 'not_found', message, { title: 'Page not found' });
export const tooManyRequests = (retryAfterSeconds: number) =>
  new QridError(429, 'rate_limited', `Too many attempts. Try again in ${retryAfterSeconds} seconds.`, {
    title: 'Slow down',
    headers: { 'Retry-After': String(retryAfterSeconds) },
  });
