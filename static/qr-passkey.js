// The QR page's passkey ways in: "Sign in on this device" when the device's passkey must
// confirm it, and "Sign in with a passkey" (any qrid passkey the browser can reach, a phone
// nearby included). Each gets a WebAuthn challenge from qrid, asks the browser for the
// assertion, and sends its form with it.
(() => {
  'use strict';
  const script = document.currentScript;
  const csrf = document.getElementById('qr-page')?.dataset.csrf;
  const webauthn = () => window.SimpleWebAuthnBrowser;

  const withAssertion = (form, errorId) =>
    form.addEventListener('submit', async (event) => {
      if (form.elements.assertion.value) return;
      event.preventDefault();
      const error = document.getElementById(errorId);
      try {
        const response = await fetch(form.dataset.optionsUrl, {
          method: 'POST',
          headers: { 'X-CSRF-Token': csrf, Accept: 'application/json' },
          credentials: 'same-origin',
        });
        const options = await response.json();
        if (!response.ok) throw new Error(options.error_description || response.statusText);
        const assertion = await webauthn().startAuthentication({ optionsJSON: options });
        form.elements.assertion.value = JSON.stringify(assertion);
        // Sent again as a real submission (with the button pressed), so the page sees it go.
        form.requestSubmit(event.submitter || undefined);
      } catch (failure) {
        if (error) {
          error.textContent = (script?.dataset.msgFailed || '{reason}').replace('{reason}', failure.message || failure);
          error.hidden = false;
        }
      }
    });

  const thisDevice = document.getElementById('this-device-form');
  if (thisDevice && thisDevice.dataset.verify === '1') withAssertion(thisDevice, 'this-device-error');

  const passkey = document.getElementById('passkey-sign-in');
  if (passkey && window.PublicKeyCredential && webauthn()) {
    passkey.hidden = false;
    withAssertion(document.getElementById('passkey-form'), 'passkey-error');
  }
})();
