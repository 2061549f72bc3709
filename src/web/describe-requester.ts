import { describeUserAgent } from './describe-client.js';
import type { Locale } from '../i18n/locale.js';

/** A browser and system as a person reads them, in their language ("an unknown browser" where the user agent says nothing qrid knows). */
export function describeRequester(locale: Pick<Locale, 't'>, userAgent: string | undefined): { browser: string; os: string } {
  const { browser, os } = describeUserAgent(userAgent);
  return { browser: browser || locale.t('client.unknown_browser'), os: os || locale.t('client.unknown_os') };
}
