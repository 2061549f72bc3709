import QRCode from 'qrcode';

/** The QR as inline SVG for the page (no image request, nothing third-party). */
export async function qrSvg(text: string): Promise<string> {
  const svg = await QRCode.toString(text, { type: 'svg', errorCorrectionLevel: 'M', margin: 2 });
  // Labelled for screen readers; the page offers the typed code as the non-visual alternative.
  return svg.replace('<svg ', '<svg role="img" aria-label="QR code to scan with your phone" class="qr-svg" ');
}

/** The QR as text for a terminal (setup and enrollment links). */
export async function qrTerminal(text: string): Promise<string> {
  return QRCode.toString(text, { type: 'terminal', small: true, errorCorrectionLevel: 'L' });
}
