// On the phone's approval page: tell qrid the code was opened by a person (not a link
// previewer), so the computer shows "check your phone" and no other device can take it over.
(() => {
  'use strict';
  const details = document.getElementById('approval-details');
  if (!details || !details.dataset.scanUrl) return;
  fetch(details.dataset.scanUrl, {
    method: 'POST',
    headers: { 'X-CSRF-Token': details.dataset.csrf, Accept: 'application/json' },
    credentials: 'same-origin',
  })
    .then(async (response) => {
      if (response.ok) return;
      const body = await response.json().catch(() => ({}));
      const note = document.createElement('p');
      note.className = 'message';
      note.setAttribute('role', 'alert');
      note.textContent = body.error_description || 'This request can no longer be answered.';
      details.after(note);
      for (const button of document.querySelectorAll('.decision button')) button.disabled = true;
    })
    .catch(() => {});
})();
