// The phone as an app: registers qrid's service worker (offline page, notifications) and offers
// installation where the browser supports it.
(() => {
  'use strict';
  if ('serviceWorker' in navigator) navigator.serviceWorker.register('/sw.js').catch(() => {});

  const install = document.getElementById('install-button');
  let offer;
  window.addEventListener('beforeinstallprompt', (event) => {
    event.preventDefault();
    offer = event;
    if (install) install.hidden = false;
  });
  install?.addEventListener('click', async () => {
    if (!offer) return;
    offer.prompt();
    await offer.userChoice.catch(() => {});
    offer = undefined;
    install.hidden = true;
  });
})();
