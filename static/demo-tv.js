// The demo TV's page: asks the demo now and then whether the TV got its tokens (the demo polls
// qrid at the interval it was given), and shows the result when it did.
(() => {
  'use strict';
  const check = async () => {
    try {
      const { state } = await (await fetch('/demo/tv/status', { headers: { Accept: 'application/json' } })).json();
      if (state !== 'pending') {
        location.reload();
        return;
      }
    } catch {
      // try again below
    }
    setTimeout(check, 1000);
  };
  setTimeout(check, 1000);
})();
