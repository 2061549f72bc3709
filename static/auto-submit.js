// Presses the page's one [data-auto-submit] button once the page has loaded, so a step that
// needs no decision (signing out for the app that asked) goes on by itself. Without scripts the
// person presses it.
'use strict';
document.querySelector('[data-auto-submit]')?.click();
