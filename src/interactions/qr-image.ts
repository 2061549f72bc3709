import QRCode from 'qrcode';

import { encodeQr, type QrMatrix } from './qr-encoder.js';

const QUIET_ZONE = 2;

/** The QR as inline SVG for the page (no image request, nothing third-party). */
export async function qrSvg(text: string): Promise<string> {
  const qr = encodeQr(Buffer.from(text));
  const width = qr.size + 2 * QUIET_ZONE;
  // Labelled for screen readers; the page offers the typed code as the non-visual alternative.
  return (
    `<svg role="img" aria-label="QR code to scan with your phone" class="qr-svg" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${width} ${width}" shape-rendering="crispEdges">` +
    `<path fill="#ffffff" d="M0 0h${width}v${width}H0z"/><path stroke="#000000" d="${darkRuns(qr)}"/></svg>`
  );
}

let scratch = new Uint8Array(0);

/**
 * The dark modules as one path: a horizontal line per run of dark modules, stroked through the
 * middle of its row; the first run of a row is placed absolutely (`M`), the next ones relative
 * to the end of the one before (`m`). Written as ASCII bytes: this runs for every QR shown.
 */
export function darkRuns(qr: QrMatrix): string {
  const { size, modules } = qr;
  // At most one run per two modules, each at most "m181 0h181" (10 bytes), plus the row's "M181 181.5".
  const worst = size * (size * 5 + 12);
  if (scratch.length < worst) scratch = new Uint8Array(worst);
  const out = scratch;
  let at = 0;
  const number = (n: number) => {
    if (n >= 100) out[at++] = 48 + Math.floor(n / 100);
    if (n >= 10) out[at++] = 48 + (Math.floor(n / 10) % 10);
    out[at++] = 48 + (n % 10);
  };
  for (let row = 0; row < size; row += 1) {
    let end = -1;
    for (let col = 0; col < size; ) {
      if (!modules[row * size + col]) {
        col += 1;
        continue;
      }
      const start = col;
      while (col < size && modules[row * size + col]) col += 1;
      if (end < 0) {
        out[at++] = 77; // M
        number(start + QUIET_ZONE);
        out[at++] = 32;
        number(row + QUIET_ZONE);
        out[at++] = 46; // .
        out[at++] = 53; // 5
      } else {
        out[at++] = 109; // m
        number(start - end);
        out[at++] = 32;
        out[at++] = 48;
      }
      out[at++] = 104; // h
      number(col - start);
      end = col;
    }
  }
  return Buffer.from(out.buffer, out.byteOffset, at).toString('latin1');
}

/** The QR as text for a terminal (setup and enrollment links). */
export async function qrTerminal(text: string): Promise<string> {
  return QRCode.toString(text, { type: 'terminal', small: true, errorCorrectionLevel: 'L' });
}
