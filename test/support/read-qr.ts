import jsQRModule from 'jsqr';
import { PNG } from 'pngjs';

// jsqr is CommonJS with `exports.default`: depending on the loader the default import is the
// function itself or the exports object holding it.
type Decode = (data: Uint8ClampedArray, width: number, height: number) => { data: string } | null;
const jsQR: Decode =
  typeof jsQRModule === 'function' ? (jsQRModule as unknown as Decode) : (jsQRModule as unknown as { default: Decode }).default;

/** Decodes a QR code from a screenshot, the way a phone camera would read the screen. */
export function readQrFromPng(png: Buffer): string {
  const text = decodeQr(PNG.sync.read(png));
  if (text === undefined) throw new Error('no QR code found in the screenshot');
  return text;
}

/** The text of the QR code in a decoded image, if a decoder can read one. */
export function decodeQr(image: PNG): string | undefined {
  return jsQR(new Uint8ClampedArray(image.data.buffer, image.data.byteOffset, image.data.length), image.width, image.height)?.data;
}
