import QRCode from 'qrcode';

/** The QR as inline SVG for the page (no image request, nothing third-party). */
export async function qrSvg(text: string): Promise<string> {
  // One byte-mode segment and a fixed mask: the library would otherwise search segment splits
  // (a shortest-path over the text) and score all eight masks for every code, which was the
  // single largest CPU cost of the QR page (see docs/benchmarks.md). Any mask is valid QR.
  const svg = await QRCode.toString([{ data: Buffer.from(text), mode: 'byte' }], { type: 'svg', errorCorrectionLevel: 'M', margin: 2, maskPattern: 2 });
  // Labelled for screen readers; the page offers the typed code as the non-visual alternative.
  return svg.replace('<svg ', '<svg role="img" aria-label="QR code to scan with your phone" class="qr-svg" ');
}

/** The QR as text for a terminal (setup and enrollment links). */
export async function qrTerminal(text: string): Promise<string> {
  return QRCode.toString(text, { type: 'terminal', small: true, errorCorrectionLevel: 'L' });
}
