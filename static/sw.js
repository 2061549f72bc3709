// qrid's service worker, for the phone's installed app. It does three small things:
//  - a page that cannot load (no network) shows qrid's offline page instead of the browser's;
//  - a push message shows a notification (its text chosen by qrid, see src/push/);
//  - tapping a notification opens the request it is about (only ever a qrid page).
// It caches nothing else: every page is fresh from qrid (they all say Cache-Control: no-store).
'use strict';
const OFFLINE = '/offline';
const CACHE = 'qrid-offline-v1';

self.addEventListener('install', (event) => {
  event.waitUntil(caches.open(CACHE).then((cache) => cache.add(OFFLINE)).then(() => self.skipWaiting()));
});

self.addEventListener('activate', (event) => {
  event.waitUntil(
    caches
      .keys()
      .then((names) => Promise.all(names.filter((name) => name !== CACHE).map((name) => caches.delete(name))))
      .then(() => self.clients.claim()),
  );
});

self.addEventListener('fetch', (event) => {
  if (event.request.mode !== 'navigate') return;
  event.respondWith(fetch(event.request).catch(() => caches.match(OFFLINE)));
});

self.addEventListener('push', (event) => {
  let message = {};
  try {
    message = event.data ? event.data.json() : {};
  } catch {
    message = {};
  }
  const url = typeof message.url === 'string' && message.url.startsWith('/') ? message.url : '/phone';
  event.waitUntil(
    self.registration.showNotification(message.title || 'qrid', {
      body: message.body || '',
      tag: message.tag || 'qrid',
      data: { url },
      requireInteraction: true,
    }),
  );
});

self.addEventListener('notificationclick', (event) => {
  event.notification.close();
  const url = new URL((event.notification.data && event.notification.data.url) || '/phone', self.location.origin);
  if (url.origin !== self.location.origin) return;
  event.waitUntil(self.clients.openWindow(url.href));
});
