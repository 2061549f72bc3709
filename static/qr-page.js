// The waiting page: keeps the QR fresh, listens for the phone's answer (Server-Sent Events,
// long-poll fallback) and, once approved, submits the completion form so that the browser
// itself follows the redirects back to the app.
(() => {
  'use strict';
  const root = document.getElementById('qr-page');
  if (!root) return;
  const $ = (id) => document.getElementById(id);
  const uid = root.dataset.uid;
  const csrf = root.dataset.csrf;
  const autoRotations = Number(root.dataset.autoRotations) || 0;
  const skew = Number(root.dataset.serverNow) - Date.now();
  const now = () => Date.now() + skew;
  const messages = {
    waiting: "Scan this code with your phone's camera.",
    scanned: 'Check your phone: approve the sign-in there.',
    approved: 'Approved. Signing you in…',
    denied: 'The sign-in was denied on the phone.',
    expired: 'This sign-in has expired. Go back to the app and start again.',
  };

  let state = root.dataset.state;
  let handleExpiresAt = Number(root.dataset.handleExpiresAt) || 0;
  let decideBy = Number(root.dataset.decideBy) || 0;
  let rotationsLeft = autoRotations;
  let rotating = false;
  let completing = false;
  let paused = false;
  // Typed codes are made only on request; once one is shown, every new QR brings a new code.
  let wantsTypedCode = root.dataset.typedCode === '1';

  function render() {
    const status = $('status');
    if (status.dataset.state !== state || status.textContent.trim() !== messages[state]) {
      status.textContent = paused && state === 'waiting' ? 'The code expired.' : messages[state] || state;
      status.dataset.state = state;
    }
    root.dataset.state = state;
    $('waiting').hidden = state !== 'waiting' || paused;
    $('more-time').hidden = !(state === 'waiting' && paused);
    $('retry').hidden = state !== 'denied';
    $('continue-button').hidden = state !== 'approved';
    if (state === 'approved' && !completing) {
      completing = true;
      $('complete-form').submit();
    }
  }

  function setState(next) {
    if (!next || next === state) return;
    state = next;
    render();
  }

  function apply(view) {
    if (view.qrSvg) {
      $('qr-link').innerHTML = view.qrSvg;
      $('qr-link').href = view.qrUrl;
      if (view.typedCode) {
        $('typed-code').textContent = view.typedCode;
        $('typed-shown').hidden = false;
        $('typed-ask').hidden = true;
      } else {
        $('typed-shown').hidden = true;
        $('typed-ask').hidden = false;
      }
      handleExpiresAt = view.handleExpiresAt;
      paused = false;
    }
    if (view.decideBy) decideBy = view.decideBy;
    showMatch(view);
    if (view.state === state) render();
    else setState(view.state);
  }

  let rotateAgain = false;
  async function rotate(byPerson) {
    if (rotating) {
      // A person's request during an automatic rotation still gets its own (a code asked for).
      if (byPerson) rotateAgain = true;
      return;
    }
    if (byPerson) rotationsLeft = autoRotations;
    else if (rotationsLeft <= 0) {
      paused = true;
      render();
      return;
    } else rotationsLeft -= 1;
    rotating = true;
    try {
      const response = await fetch(`/interaction/${uid}/qr${wantsTypedCode ? '?typed_code=1' : ''}`, {
        method: 'POST',
        headers: { 'X-CSRF-Token': csrf, Accept: 'application/json' },
        credentials: 'same-origin',
      });
      const body = await response.json();
      if (response.ok) apply(body);
      else if (response.status === 400 || response.status === 410) setState('expired');
    } catch {
      // Network trouble: the next tick tries again.
    } finally {
      rotating = false;
      if (rotateAgain) {
        rotateAgain = false;
        rotate(true);
      }
    }
  }

  function tick() {
    if (state === 'waiting' && !paused) {
      const left = Math.max(0, Math.ceil((handleExpiresAt - now()) / 1000));
      $('countdown').textContent = String(left);
      if (left <= 0) rotate(false);
    } else if (state === 'scanned' && decideBy && now() > decideBy + 1000) {
      rotate(false);
    }
  }

  // Event stream, with long-poll when EventSource is missing or keeps failing.
  let failures = 0;
  function showMatch(data) {
    const match = $('match');
    if (data.state === 'scanned' && data.number) {
      $('match-number').textContent = String(data.number);
      match.hidden = false;
    } else if (data.state !== 'scanned') {
      match.hidden = true;
    }
  }
  function onStatus(data) {
    showMatch(data);
    if (data.handleExpiresAt && data.state === 'waiting') handleExpiresAt = data.handleExpiresAt;
    if (data.decideBy) decideBy = data.decideBy;
    setState(data.state);
  }
  function connect() {
    if (!('EventSource' in window)) return longPoll();
    const source = new EventSource(`/interaction/${uid}/events`);
    source.onopen = () => {
      failures = 0;
    };
    source.onmessage = (event) => {
      try {
        onStatus(JSON.parse(event.data));
      } catch {
        /* ignore a malformed event */
      }
      if (['approved', 'denied', 'expired'].includes(state)) source.close();
    };
    source.addEventListener('reconnect', () => {
      source.close();
      setTimeout(connect, 250 + Math.random() * 750);
    });
    source.onerror = () => {
      failures += 1;
      if (['approved', 'denied', 'expired'].includes(state)) source.close();
      else if (failures >= 4) {
        source.close();
        longPoll();
      }
    };
  }
  async function longPoll() {
    while (!['approved', 'expired'].includes(state)) {
      try {
        const response = await fetch(`/interaction/${uid}/status?state=${encodeURIComponent(state)}`, {
          headers: { Accept: 'application/json' },
          credentials: 'same-origin',
        });
        if (response.ok) onStatus(await response.json());
        else await new Promise((r) => setTimeout(r, 2000));
      } catch {
        await new Promise((r) => setTimeout(r, 2000));
      }
    }
  }

  function askForTypedCode() {
    if (!$('typed-shown').hidden) return;
    wantsTypedCode = true;
    rotate(true);
  }
  $('typed').addEventListener('toggle', () => {
    if ($('typed').open) askForTypedCode();
  });
  $('typed-link').addEventListener('click', (event) => {
    event.preventDefault();
    askForTypedCode();
  });
  $('more-time-button').addEventListener('click', () => rotate(true));
  $('retry-button').addEventListener('click', () => rotate(true));
  render();
  connect();
  setInterval(tick, 1000);
  tick();
})();
