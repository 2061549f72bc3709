// The phone's pages. On the approval page: report the scan (so the computer shows "check your
// phone" and no other device can take the request over), and when a passkey is needed, get
// the assertion before the Approve form is sent. On the home page: add a passkey, and sign in
// another device.
(() => {
  'use strict';
  const details = document.getElementById('approval-details');
  const csrf = details?.dataset.csrf || document.body.dataset.csrf || document.querySelector('input[name="csrf"]')?.value;
  // Texts in the page's language (views/_phone-messages.njk).
  const messages = document.getElementById('phone-messages')?.dataset || {};
  const say = (name, reason) => (messages[name] || '').replace('{reason}', reason);
  const post = (url, body) =>
    fetch(url, {
      method: 'POST',
      headers: { 'X-CSRF-Token': csrf, Accept: 'application/json', ...(body ? { 'Content-Type': 'application/json' } : {}) },
      credentials: 'same-origin',
      body: body ? JSON.stringify(body) : undefined,
    });
  const showError = (id, text) => {
    const el = document.getElementById(id);
    if (el) {
      el.textContent = text;
      el.hidden = false;
    }
  };

  if (details && details.dataset.scanUrl) {
    post(details.dataset.scanUrl)
      .then(async (response) => {
        if (response.ok) return;
        const body = await response.json().catch(() => ({}));
        showError('verify-error', body.error_description || say('msgRequestGone'));
        for (const button of document.querySelectorAll('.decision button')) button.disabled = true;
      })
      .catch(() => {});
  }

  const form = document.getElementById('decision-form');
  if (form && form.dataset.verify === '1') {
    form.addEventListener('submit', async (event) => {
      const approving = event.submitter && event.submitter.value === 'approve';
      if (!approving || form.elements.assertion.value) return;
      event.preventDefault();
      try {
        const options = await (await post(form.dataset.optionsUrl)).json();
        if (options.error) throw new Error(options.error_description);
        const assertion = await window.SimpleWebAuthnBrowser.startAuthentication({ optionsJSON: options });
        form.elements.assertion.value = JSON.stringify(assertion);
        const decision = document.createElement('input');
        decision.type = 'hidden';
        decision.name = 'decision';
        decision.value = 'approve';
        form.append(decision);
        form.submit();
      } catch (error) {
        showError('verify-error', say('msgPasskeyFailed', error.message || error));
      }
    });
  }

  const addPasskey = document.getElementById('add-passkey');
  if (addPasskey) {
    if (!window.PublicKeyCredential) addPasskey.hidden = true;
    addPasskey.addEventListener('click', async () => {
      try {
        // Another passkey needs one this device already has; the first one needs nothing more
        // (the enrollment's setup window, which the server checks).
        let assertion;
        if (addPasskey.dataset.unlock === '1') {
          const unlock = await (await post('/phone/passkeys/unlock-options')).json();
          if (unlock.error) throw new Error(unlock.error_description);
          assertion = await window.SimpleWebAuthnBrowser.startAuthentication({ optionsJSON: unlock });
        }
        const options = await (await post('/phone/passkeys/options', assertion ? { assertion } : {})).json();
        if (options.error) throw new Error(options.error_description);
        const registration = await window.SimpleWebAuthnBrowser.startRegistration({ optionsJSON: options });
        const response = await post('/phone/passkeys', { response: registration });
        const body = await response.json();
        if (!response.ok) throw new Error(body.error_description);
        window.location.assign('/phone?passkey=1');
      } catch (error) {
        showError('passkey-error', say('msgPasskeyNotAdded', error.message || error));
      }
    });
  }

  const linkForm = document.getElementById('link-form');
  if (linkForm) {
    linkForm.addEventListener('submit', async (event) => {
      if (linkForm.elements.assertion.value) return;
      event.preventDefault();
      try {
        const options = await (await post('/phone/link/options')).json();
        if (options.error) throw new Error(options.error_description);
        const assertion = await window.SimpleWebAuthnBrowser.startAuthentication({ optionsJSON: options });
        linkForm.elements.assertion.value = JSON.stringify(assertion);
        linkForm.submit();
      } catch (error) {
        showError('link-error', say('msgLinkFailed', error.message || error));
      }
    });
  }
})();
