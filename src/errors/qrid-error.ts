import { hasMessage, type MessageKey, type Params, translate } from '../i18n/catalogues.js';

/**
 * qrid's one error type. `code` is stable (clients and tests rely on it) and one of the typed
 * union below: every code has its texts in the catalogue (src/i18n/locales), `error.<code>`
 * (what happened), `error.<code>.title` and optionally `error.<code>.next` (what the person can
 * do). A code used in several places with different words names its variant (`key`, e.g.
 * `error.csrf_invalid.enrollment`). The error handler shows them in the person's language;
 * `message` is the English text, for logs and programs. `expose` says whether the message may
 * be shown at all (never for 5xx). Protocol errors are not QridErrors: they stay oidc-provider's.
 */
export type ErrorCode = MessageKey extends infer K ? (K extends `error.${infer C}.title` ? (C extends `${string}.${string}` ? never : C) : never) : never;
export type ErrorKey = Extract<MessageKey, `error.${string}`>;

export interface QridErrorOptions {
  /** The catalogue text for this error, where it is not `error.<code>`. */
  key?: ErrorKey;
  params?: Params;
  expose?: boolean;
  headers?: Record<string, string>;
  cause?: unknown;
}

export class QridError extends Error {
  override readonly name = 'QridError';
  readonly expose: boolean;
  readonly headers: Record<string, string>;
  readonly key: ErrorKey;
  readonly params: Params;

  constructor(
    readonly status: number,
    readonly code: ErrorCode,
    options: QridErrorOptions = {},
  ) {
    const key = options.key ?? (`error.${code}` as ErrorKey);
    const params = options.params ?? {};
    super(translate('en', key, params), { cause: options.cause });
    this.key = key;
    this.params = params;
    this.expose = options.expose ?? status < 500;
    this.headers = options.headers ?? {};
  }

  /** The title key of this error's page: its variant's, else its code's. */
  get titleKey(): MessageKey {
    const own = `${this.key}.title`;
    return hasMessage(own) ? own : (`error.${this.code}.title` as MessageKey);
  }

  /** What the person can do next, if the catalogue says. */
  get nextKey(): MessageKey | undefined {
    for (const candidate of [`${this.key}.next`, `error.${this.code}.next`]) if (hasMessage(candidate)) return candidate;
    return undefined;
  }
}

export const forbidden = (code: ErrorCode, key?: ErrorKey) => new QridError(403, code, key ? { key } : {});
export const notFound = (key?: Extract<ErrorKey, `error.not_found${string}`>) => new QridError(404, 'not_found', key ? { key } : {});
export const tooManyRequests = (retryAfterSeconds: number) =>
  new QridError(429, 'rate_limited', { params: { seconds: retryAfterSeconds }, headers: { 'Retry-After': String(retryAfterSeconds) } });
