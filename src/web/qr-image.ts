import QRCode from 'qrcode';

/** Four modules of light margin on every side: what the QR specification asks scanners to get. */
export const QUIET_ZONE = 4;

/**
 * The QR as inline SVG for a page (no image request, nothing third-party), from `qrcode`,
 * labelled for screen readers (`label`, in the page's language); the page offers the typed
 * code as the non-visual alternative.
 */
export async function qrSvg(text: string, label: string): Promise<string> {
  const svg = await QRCode.toString(text, { type: 'svg', margin: QUIET_ZONE, errorCorrectionLevel: 'L' });
  const escaped = label.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c] as string);
  return svg.trim().replace(/^<svg /, `<svg role="img" aria-label="${escaped}" class="qr-svg" `);
}

/** The QR as text for a terminal (setup and enrollment links). */
export async function qrTerminal(text: string): Promise<string> {
  return QRCode.toString(text, { type: 'terminal', small: true, errorCorrectionLevel: 'L' });
}
