// The phone's own QR scanner: the camera (getUserMedia), decoded in the page with the browser's
// BarcodeDetector where it has one, otherwise with jsQR in a worker (off the main thread). It
// opens qrid's own links only: a sign-in (/q/…), an enrollment (/enroll/…) or a device's
// verification (/device?user_code=…) on this qrid. Any other QR is refused and said so: a QR
// that sends a phone elsewhere is what phishing looks like. The typed code stays the fallback.
(() => {
  'use strict';
  const root = document.getElementById('scanner');
  if (!root || !navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) return;
  root.hidden = false;
  const say = (name) => root.dataset[name] || '';
  const status = document.getElementById('scan-status');
  const view = document.getElementById('scan-view');
  const video = document.getElementById('scan-video');
  const start = document.getElementById('scan-button');
  const stop = document.getElementById('scan-stop');
  let stream;
  let timer;
  let worker;
  let busy = false;

  /** The qrid link a QR holds, or undefined when it is anything else. */
  const qridLink = (text) => {
    let url;
    try {
      url = new URL(text);
    } catch {
      return undefined;
    }
    if (url.origin !== location.origin) return undefined;
    if (/^\/q\/[\w.-]+$/.test(url.pathname) || /^\/enroll\/[\w-]+$/.test(url.pathname)) return url.href;
    if (url.pathname === '/device' && url.searchParams.get('user_code')) return url.href;
    return undefined;
  };

  const end = () => {
    clearTimeout(timer);
    if (stream) for (const track of stream.getTracks()) track.stop();
    stream = undefined;
    view.hidden = true;
    start.hidden = false;
  };

  const found = (text) => {
    if (!text) return false;
    const link = qridLink(text);
    if (!link) {
      status.textContent = say('msgForeign');
      return false;
    }
    status.textContent = say('msgOpening');
    end();
    location.assign(link);
    return true;
  };

  const detector = 'BarcodeDetector' in window ? new window.BarcodeDetector({ formats: ['qr_code'] }) : undefined;
  const canvas = document.createElement('canvas');
  const decode = async () => {
    if (detector) {
      const codes = await detector.detect(video);
      return codes.length ? codes[0].rawValue : undefined;
    }
    if (!video.videoWidth) return undefined;
    canvas.width = video.videoWidth;
    canvas.height = video.videoHeight;
    const context = canvas.getContext('2d', { willReadFrequently: true });
    context.drawImage(video, 0, 0);
    const image = context.getImageData(0, 0, canvas.width, canvas.height);
    worker ??= new Worker('/static/scanner-worker.js');
    return new Promise((resolve) => {
      worker.onmessage = (event) => resolve(event.data || undefined);
      worker.postMessage({ data: image.data, width: image.width, height: image.height }, [image.data.buffer]);
    });
  };

  const tick = async () => {
    if (!stream) return;
    if (!busy) {
      busy = true;
      try {
        if (found(await decode())) return;
      } catch {
        // a frame that could not be read; the next one may
      } finally {
        busy = false;
      }
    }
    timer = setTimeout(tick, 250);
  };

  start.addEventListener('click', async () => {
    try {
      stream = await navigator.mediaDevices.getUserMedia({ video: { facingMode: 'environment' }, audio: false });
    } catch (error) {
      status.textContent = say('msgNoCamera').replace('{reason}', error.message || error);
      return;
    }
    video.srcObject = stream;
    await video.play().catch(() => {});
    view.hidden = false;
    start.hidden = true;
    status.textContent = say('msgScanning');
    stop.focus();
    tick();
  });
  stop.addEventListener('click', () => {
    end();
    status.textContent = '';
    start.focus();
  });
})();
