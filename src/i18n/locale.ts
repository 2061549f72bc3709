import type { Context } from 'koa';

import { LANGUAGE_CODES, LANGUAGES, type Language, type MessageKey, type Params, translate, translateCount } from './catalogues.js';
import { chooseLanguage } from './choose-language.js';
import { formatAgo, formatDateTime } from './format.js';

/** The language cookie: the person's own choice, set by /language/:lang. */
export const LANGUAGE_COOKIE = 'qrid_lang';

/** One request's language and what renders text in it (pages, error messages, the pages' scripts). */
export interface Locale {
  lang: Language;
  t(key: MessageKey, params?: Params): string;
  count(key: string, count: number, params?: Params): string;
  dateTime(ms: number): string;
  ago(ms: number): string;
}

export function localeFor(lang: Language): Locale {
  return {
    lang,
    t: (key, params) => translate(lang, key, params),
    count: (key, count, params) => translateCount(lang, key, count, params),
    dateTime: (ms) => formatDateTime(lang, ms),
    ago: (ms) => formatAgo(lang, ms),
  };
}

const LOCALE = Symbol('qrid.locale');

/** The request's locale: chosen once per request from the language cookie and Accept-Language. */
export function localeOf(ctx: Context): Locale {
  const state = ctx.state as { [LOCALE]?: Locale };
  state[LOCALE] ??= localeFor(chooseLanguage(ctx.cookies.get(LANGUAGE_COOKIE, { signed: false }), ctx.get('Accept-Language')));
  return state[LOCALE];
}

/** The language links at the foot of every page, each coming back to `back`. */
export function languageLinks(ctx: Context): Array<{ code: Language; name: string; href: string; current: boolean }> {
  const lang = localeOf(ctx).lang;
  const back = ctx.method === 'GET' ? ctx.url : returnPathAfterPost(ctx.path);
  return LANGUAGE_CODES.map((code) => ({
    code,
    name: LANGUAGES[code].name,
    href: `/language/${code}?back=${encodeURIComponent(back)}`,
    current: code === lang,
  }));
}

/** A page that answered a POST is shown again in another language by its GET page. */
function returnPathAfterPost(path: string): string {
  const interaction = /^\/interaction\/[\w-]+/.exec(path)?.[0];
  if (interaction) return interaction;
  if (path.startsWith('/admin')) return '/admin';
  if (path.startsWith('/demo')) return '/demo';
  return '/phone';
}
