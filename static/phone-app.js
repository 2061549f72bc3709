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

// Notifications: this phone's browser subscribes with qrid's key; qrid keeps the subscription.
(() => {
  'use strict';
  const section = document.getElementById('notifications');
  if (!section) return;
  const csrf = document.getElementById('inbox')?.dataset.csrf;
  const status = document.getElementById('push-status');
  const on = document.getElementById('push-on');
  const off = document.getElementById('push-off');
  const supported = 'serviceWorker' in navigator && 'PushManager' in window && 'Notification' in window;
  const show = (subscribed) => {
    on.hidden = !supported || subscribed;
    off.hidden = !supported || !subscribed;
    status.textContent = subscribed ? section.dataset.msgOn : section.dataset.msgOff;
  };
  const post = (url, body) =>
    fetch(url, {
      method: 'POST',
      credentials: 'same-origin',
      headers: { 'X-CSRF-Token': csrf, Accept: 'application/json', 'Content-Type': 'application/json' },
      body: JSON.stringify(body || {}),
    });
  // A browser without a push service can leave subscribe() pending for ever.
  const withTimeout = (promise, ms) => Promise.race([promise, new Promise((_, reject) => setTimeout(() => reject(new Error('no answer from the push service')), ms))]);
  show(section.dataset.on === '1');
  on?.addEventListener('click', async () => {
    try {
      if ((await Notification.requestPermission()) !== 'granted') throw new Error('notifications are not allowed for this site');
      const registration = await navigator.serviceWorker.ready;
      const key = section.dataset.key;
      const subscription = await withTimeout(registration.pushManager.subscribe({ userVisibleOnly: true, applicationServerKey: key }), 20000);
      const response = await post('/phone/push', { subscription: subscription.toJSON() });
      if (!response.ok) throw new Error((await response.json()).error_description || response.statusText);
      show(true);
    } catch (error) {
      status.textContent = section.dataset.msgFailed.replace('{reason}', error.message || error);
    }
  });
  off?.addEventListener('click', async () => {
    const registration = await navigator.serviceWorker.ready.catch(() => undefined);
    const subscription = await registration?.pushManager.getSubscription().catch(() => undefined);
    await subscription?.unsubscribe().catch(() => {});
    await post('/phone/push/off');
    show(false);
  });
})();

// The inbox: kept current while the page is open (the server says when it changed).
(() => {
  'use strict';
  const inbox = document.getElementById('inbox');
  if (!inbox || !('EventSource' in window)) return;
  const list = document.getElementById('inbox-list');
  const none = document.getElementById('inbox-none');
  const refresh = async () => {
    const response = await fetch('/phone/inbox', { headers: { 'X-CSRF-Token': inbox.dataset.csrf, Accept: 'application/json' }, credentials: 'same-origin' });
    if (!response.ok) return;
    const { requests } = await response.json();
    list.replaceChildren(
      ...requests.map((request) => {
        const item = document.createElement('li');
        item.dataset.request = request.id;
        const link = document.createElement('a');
        link.href = request.url;
        const app = document.createElement('strong');
        app.textContent = request.app;
        link.append(app);
        item.append(link, request.bindingMessage ? ` · ${request.bindingMessage}` : '', ' · ');
        const age = document.createElement('span');
        age.className = 'meta';
        age.textContent = request.age;
        item.append(age);
        return item;
      }),
    );
    none.hidden = requests.length > 0;
  };
  // EventSource reconnects by itself after a dropped connection, but not after a refusal (429,
  // or 503 while the store fails over): then the page opens a new one a little later. Each
  // reconnection after an error reads the inbox, so nothing that changed in between is missed.
  let behind = false; // since the last error, the page may have missed a change
  let refusals = 0; // in a row: each waits twice as long, up to a minute
  const listen = () => {
    const source = new EventSource('/phone/inbox/events');
    source.addEventListener('changed', () => refresh().catch(() => {}));
    source.onopen = () => {
      if (behind) refresh().catch(() => {});
      behind = false;
      refusals = 0;
    };
    source.onerror = () => {
      behind = true;
      if (source.readyState !== EventSource.CLOSED) return;
      source.close();
      const wait = Math.min(60_000, 3000 * 2 ** refusals) * (1 + Math.random() / 2);
      refusals += 1;
      setTimeout(listen, wait);
    };
  };
  listen();
})();
