import type { Context } from 'koa';

import { isLanguage } from '../i18n/catalogues.js';
import { LANGUAGE_COOKIE } from '../i18n/locale.js';

/**
 * GET /language/:lang?back=<path> — the person picks a language (the links at the foot of every
 * page): kept in a cookie for a year, then back to the page they were on. Only a path on this
 * site is followed back; anything else goes to the start page.
 */
export function chooseLanguageRoute(secure: boolean) {
  return function chooseLanguage(ctx: Context): void {
    const lang = String(ctx.params.lang ?? '');
    if (isLanguage(lang)) {
      ctx.cookies.set(LANGUAGE_COOKIE, lang, { httpOnly: true, sameSite: 'lax', secure, signed: false, path: '/', overwrite: true, maxAge: 365 * 24 * 3600 * 1000 });
    }
    const back = typeof ctx.query.back === 'string' ? ctx.query.back : '/';
    ctx.status = 303;
    ctx.redirect(/^\/(?![/\\])[^\s]*$/.test(back) ? back : '/');
  };
}
