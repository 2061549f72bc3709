import de from './locales/de.json' with { type: 'json' };
import en from './locales/en.json' with { type: 'json' };

/**
 * Every text a person reads (pages, error messages, the pages' scripts), one catalogue per
 * language in ./locales/<language>.json. English is complete by definition and is what a
 * missing key falls back to; catalogue-completeness.test.ts checks that every catalogue has
 * every key. To add a language: copy en.json to <code>.json, translate the values (keep the
 * {placeholders} and the few tags), and add it to LANGUAGES below.
 *
 * Texts may hold a little markup (<strong>, <a href="…">): the catalogues are ours, while the
 * values put into {placeholders} are escaped where a page shows them (views.ts).
 */
export type MessageKey = keyof typeof en;
export type Params = Record<string, string | number>;
type Catalogue = Partial<Record<MessageKey, string>>;

export const LANGUAGES = {
  en: { name: 'English', messages: en as Catalogue },
  de: { name: 'Deutsch', messages: de as Catalogue },
} as const;

export type Language = keyof typeof LANGUAGES;
export const DEFAULT_LANGUAGE: Language = 'en';
export const LANGUAGE_CODES = Object.keys(LANGUAGES) as Language[];

export function isLanguage(value: unknown): value is Language {
  return typeof value === 'string' && Object.hasOwn(LANGUAGES, value);
}

export function hasMessage(key: string): key is MessageKey {
  return Object.hasOwn(en, key);
}

/** The text for `key` in `lang` (English where that catalogue lacks it), with `{name}` placeholders filled in as given. */
export function translate(lang: Language, key: MessageKey, params: Params = {}, escape: (value: string) => string = (v) => v): string {
  const text = LANGUAGES[lang].messages[key] ?? en[key] ?? key;
  return text.replace(/\{(\w+)\}/g, (whole, name: string) => (Object.hasOwn(params, name) ? escape(String(params[name])) : whole));
}

/** A count in words: `<key>.one` or `<key>.other` by the language's plural rules (English's where missing). */
export function translateCount(lang: Language, key: string, count: number, params: Params = {}): string {
  const rule = new Intl.PluralRules(lang).select(count);
  const candidate = `${key}.${rule}`;
  const chosen = hasMessage(candidate) ? candidate : `${key}.other`;
  return hasMessage(chosen) ? translate(lang, chosen, { count, ...params }) : String(count);
}
