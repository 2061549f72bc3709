import jsQR from 'jsqr';
import { PNG } from 'pngjs';

/** Decodes a QR code from a screenshot, the way a phone camera would read the screen. */
export function readQrFromPng(png: Buffer): string {
  const image = PNG.sync.read(png);
  const result = jsQR(new Uint8ClampedArray(image.data.buffer, image.data.byteOffset, image.data.length), image.width, image.height);
  if (!result) throw new Error('no QR code found in the screenshot');
  return result.data;
}
