// The waiting page: keeps the QR fresh, listens for the phone's answer (Server-Sent Events,
// long-poll fallback) and, once approved, submits the completion form so that the browser
// itself follows the redirects back to the app. Every state change is said in the status
// (a live region) and, when the control a person was on goes away, focus moves to the control
// of the new state, never to the page's body.
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
  const FINAL = ['approved', 'denied', 'expired'];
  const message = (name, number) => (root.dataset[`msg${name}`] || '').replace('{number}', String(number || ''));

  let state = root.dataset.state;
  let number = Number($('match-number').textContent) || 0;
  let handleExpiresAt = Number(root.dataset.handleExpiresAt) || 0;
  let decideBy = Number(root.dataset.decideBy) || 0;
  let rotationsLeft = autoRotations;
  let rotating = false;
  let completing = false;
  let paused = false;
  // Typed codes are made only on request; once one is shown, new QRs keep it (a person may be typing it).
  let typedCodeShown = root.dataset.typedCode === '1';

  function statusText() {
    if (state === 'waiting') return paused ? message('Paused') : message('Waiting');
    if (state === 'scanned') return number ? message('ScannedNumber', number) : message('Scanned');
    return message(state.charAt(0).toUpperCase() + state.slice(1));
  }

  /** Where focus goes in each state, when the control it was on is gone. */
  function focusTarget() {
    if (state === 'denied') return $('retry-button');
    if (state === 'expired') return $('restart-link');
    if (state === 'waiting' && paused) return $('more-time-button');
    return $('status');
  }

  function render(moveFocus = true) {
    const status = $('status');
    const text = statusText();
    if (status.textContent.trim() !== text) status.textContent = text;
    status.dataset.state = state;
    root.dataset.state = state;
    $('match').hidden = !(state === 'scanned' && number);
    $('match-number').textContent = state === 'scanned' && number ? String(number) : '';
    $('waiting').hidden = state !== 'waiting' || paused;
    $('more-time').hidden = !(state === 'waiting' && paused);
    $('retry').hidden = state !== 'denied';
    $('restart').hidden = state !== 'expired';
    $('cancel-form').hidden = state === 'expired';
    $('continue-button').hidden = state !== 'approved';
    // Focus moves only from where a person cannot act (the body, a hidden control, the status
    // the page itself focused); a person on a visible control keeps it.
    const active = document.activeElement;
    if (moveFocus && (!active || active === document.body || active === status || active.closest('[hidden]'))) {
      const target = focusTarget();
      if (target && target !== active) target.focus();
    }
    if (state === 'approved' && !completing) {
      completing = true;
      $('complete-form').submit();
    }
  }

  // The page's own ways in ("Sign in on this device", a passkey) complete the sign-in in their
  // response: once one is sent, the approval it causes must not send the completion form too.
  document.addEventListener('submit', (event) => {
    if (!event.defaultPrevented && event.target && event.target.id !== 'complete-form') completing = true;
  });

  function setState(next) {
    if (!next || next === state) return;
    state = next;
    render();
    if (!FINAL.includes(state)) listen();
  }

  function apply(view) {
    if (view.qrSvg) {
      $('qr').innerHTML = view.qrSvg;
      $('qr').dataset.qrUrl = view.qrUrl;
      if (view.typedCode) {
        $('typed-code').textContent = view.typedCode;
        typedCodeShown = true;
      }
      $('typed-shown').hidden = !typedCodeShown;
      $('typed-ask').hidden = typedCodeShown;
      handleExpiresAt = view.handleExpiresAt;
      paused = false;
    }
    if (view.decideBy) decideBy = view.decideBy;
    number = view.state === 'scanned' ? view.number || 0 : 0;
    if (view.state === state) render();
    else setState(view.state);
  }

  let rotateAgain = false;
  let askNewCode = false;
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
    const typed = askNewCode ? 'new' : typedCodeShown ? 'keep' : '';
    askNewCode = false;
    try {
      const response = await fetch(`/interaction/${uid}/qr${typed ? `?typed_code=${typed}` : ''}`, {
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

  function onStatus(data) {
    if (data.handleExpiresAt && data.state === 'waiting') handleExpiresAt = data.handleExpiresAt;
    if (data.decideBy) decideBy = data.decideBy;
    number = data.state === 'scanned' ? data.number || 0 : 0;
    if (data.state === state) render();
    else setState(data.state);
  }

  // Event stream, with long-poll when EventSource is missing or keeps failing. Listening stops
  // at a final state and starts again when the page waits again (after "Try again").
  let source;
  let polling = false;
  let failures = 0;
  function listen() {
    if (source || polling || FINAL.includes(state)) return;
    if (!('EventSource' in window) || failures >= 4) {
      longPoll();
      return;
    }
    source = new EventSource(`/interaction/${uid}/events`);
    const stop = () => {
      source?.close();
      source = undefined;
    };
    source.onopen = () => {
      failures = 0;
    };
    source.onmessage = (event) => {
      try {
        onStatus(JSON.parse(event.data));
      } catch {
        /* ignore a malformed event */
      }
      if (FINAL.includes(state)) stop();
    };
    source.addEventListener('reconnect', () => {
      stop();
      setTimeout(listen, 250 + Math.random() * 750);
    });
    source.onerror = () => {
      failures += 1;
      if (FINAL.includes(state) || failures >= 4) {
        stop();
        listen();
      } else if (source.readyState === EventSource.CLOSED) {
        // Refused (429, or 503 while the store fails over): EventSource does not try again by
        // itself, so the page does, a little later; the new stream's first event catches up.
        stop();
        setTimeout(listen, 2000 + Math.random() * 1000);
      }
    };
  }
  async function longPoll() {
    polling = true;
    while (!FINAL.includes(state)) {
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
    polling = false;
  }

  function askForTypedCode() {
    if (typedCodeShown) return;
    askNewCode = true;
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
  render(false);
  listen();
  setInterval(tick, 1000);
  tick();
})();
