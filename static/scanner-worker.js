// Decodes QR codes for the phone's scanner (scanner.js) off the page's main thread, with jsQR
// (served by qrid) where the browser has no BarcodeDetector.
'use strict';
importScripts('/static/vendor/jsqr.js');
self.onmessage = (event) => {
  const { data, width, height } = event.data;
  const code = self.jsQR(new Uint8ClampedArray(data.buffer || data), width, height, { inversionAttempts: 'attemptBoth' });
  self.postMessage(code ? code.data : null);
};
