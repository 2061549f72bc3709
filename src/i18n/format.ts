import { type Language, translate } from './catalogues.js';

/**
 * Dates as a person reads them in their language. The server does not know the person's time
 * zone, so it writes UTC (and says so) inside a <time> element; static/local-time.js rewrites
 * it in the browser's own time zone.
 */
export function formatDateTime(lang: Language, ms: number): string {
  return `${new Intl.DateTimeFormat(lang, { dateStyle: 'medium', timeStyle: 'short', timeZone: 'UTC' }).format(ms)} UTC`;
}

/** "just now", "3 minutes ago", "vor 3 Minuten". */
export function formatAgo(lang: Language, ms: number, now = Date.now()): string {
  const seconds = Math.max(0, Math.round((now - ms) / 1000));
  const format = new Intl.RelativeTimeFormat(lang, { numeric: 'auto' });
  if (seconds < 5) return translate(lang, 'time.just_now');
  if (seconds < 60) return format.format(-seconds, 'second');
  const minutes = Math.round(seconds / 60);
  if (minutes < 60) return format.format(-minutes, 'minute');
  const hours = Math.round(minutes / 60);
  if (hours < 48) return format.format(-hours, 'hour');
  return format.format(-Math.round(hours / 24), 'day');
}
