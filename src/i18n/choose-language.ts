import { DEFAULT_LANGUAGE, isLanguage, type Language } from './catalogues.js';

/**
 * The language a page is shown in: the person's own choice (the language cookie, set by the
 * links at the foot of every page) if any, else the first language of their browser's
 * Accept-Language (by q-value) that qrid has, else English.
 */
export function chooseLanguage(chosen: string | undefined, acceptLanguage: string | undefined): Language {
  if (isLanguage(chosen)) return chosen;
  const wanted = (acceptLanguage ?? '')
    .slice(0, 500)
    .split(',')
    .map((part, index) => {
      const [tag = '', ...options] = part.trim().split(';');
      const q = options.map((o) => /^\s*q=([\d.]+)\s*$/.exec(o)?.[1]).find(Boolean);
      return { primary: tag.toLowerCase().split('-')[0] ?? '', q: q === undefined ? 1 : Number(q), index };
    })
    .filter((w) => w.primary && w.q > 0)
    .sort((a, b) => b.q - a.q || a.index - b.index);
  return wanted.map((w) => w.primary).find(isLanguage) ?? DEFAULT_LANGUAGE;
}
