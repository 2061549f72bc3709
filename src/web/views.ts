import type { Context } from 'koa';
import nunjucks from 'nunjucks';

import { type MessageKey, type Params, translate } from '../i18n/catalogues.js';
import { languageLinks, localeOf } from '../i18n/locale.js';
import { viewsDir } from '../paths.js';

/**
 * Server-rendered pages. Autoescaping is on: every value is HTML-escaped unless marked safe.
 * Every page gets the request's language: `t(key, params)` (catalogue text, which may hold a
 * little markup, with the params escaped), `count`, `when(ms)` (a <time> element that
 * static/local-time.js shows in the browser's time zone), `ago(ms)`, and the language links.
 */
export interface Views {
  /** Renders `name` as the response's HTML body, in the request's language. */
  render(ctx: Context, name: string, context?: Record<string, unknown>): void;
}

const escapeHtml = (value: string) =>
  value.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] as string);

export function createViews(dir: string = viewsDir): Views {
  const env = new nunjucks.Environment(new nunjucks.FileSystemLoader(dir, { noCache: false }), {
    autoescape: true,
    throwOnUndefined: false,
  });
  return {
    render(ctx, name, context = {}) {
      const locale = localeOf(ctx);
      const safe = (html: string) => new nunjucks.runtime.SafeString(html);
      ctx.type = 'html';
      ctx.body = env.render(name, {
        ...context,
        lang: locale.lang,
        t: (key: MessageKey, params: Params = {}) => safe(translate(locale.lang, key, params, escapeHtml)),
        count: (key: string, n: number, params: Params = {}) => locale.count(key, n, params),
        when: (ms: number) => safe(ms ? `<time datetime="${new Date(ms).toISOString()}" data-local>${escapeHtml(locale.dateTime(ms))}</time>` : escapeHtml(translate(locale.lang, 'time.unknown'))),
        ago: (ms: number) => locale.ago(ms),
        languages: languageLinks(ctx),
      });
    },
  };
}
