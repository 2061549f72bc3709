// Dates on qrid's pages are written in UTC by the server, which does not know the person's time
// zone; this shows each <time data-local> in the browser's own zone and the page's language.
(() => {
  'use strict';
  const format = new Intl.DateTimeFormat(document.documentElement.lang || undefined, { dateStyle: 'medium', timeStyle: 'short' });
  for (const element of document.querySelectorAll('time[data-local]')) {
    const date = new Date(element.dateTime);
    if (!Number.isNaN(date.getTime())) element.textContent = format.format(date);
  }
})();
