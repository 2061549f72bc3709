import { PNG } from 'pngjs';
import { describe, expect, it } from 'vitest';

import { decodeQr } from '../../test/support/read-qr.js';

import { QUIET_ZONE, qrSvg } from './qr-image.js';

/** Draws the SVG's stroked runs (qrcode writes `M x y.5 h n`, `m dx dy h n`) into a bitmap, `scale` pixels a module. */
function rasterize(svg: string, scale = 4): { png: PNG; width: number } {
  const width = Number(/viewBox="0 0 (\d+) \1"/.exec(svg)?.[1]);
  const path = /<path stroke="#000000" d="([^"]*)"/.exec(svg)?.[1] ?? '';
  const png = new PNG({ width: width * scale, height: width * scale });
  png.data.fill(255);
  let x = 0;
  let y = 0;
  for (const [, command, a, b] of path.matchAll(/([Mmh])(-?[\d.]+)(?: (-?[\d.]+))?/g)) {
    if (command === 'M') [x, y] = [Number(a), Number(b)];
    else if (command === 'm') [x, y] = [x + Number(a), y + Number(b)];
    else {
      const row = Math.floor(y);
      for (let col = x; col < x + Number(a); col += 1) {
        for (let dy = 0; dy < scale; dy += 1) {
          for (let dx = 0; dx < scale; dx += 1) {
            const at = ((row * scale + dy) * png.width + col * scale + dx) * 4;
            png.data[at] = png.data[at + 1] = png.data[at + 2] = 0;
          }
        }
      }
      x += Number(a);
    }
  }
  return { png, width };
}

describe('qrSvg', () => {
  it('encodes the text (read back by a decoder) with a quiet zone of four modules on every side', async () => {
    const url = 'https://id.example.test/q/abcdefghijklmnopqrstuv.ABCDEFGHIJKLMNOPQRSTUV';
    const svg = await qrSvg(url, 'QR code');
    const { png, width } = rasterize(svg);
    expect(decodeQr(png)).toBe(url);
    const path = /<path stroke="#000000" d="([^"]*)"/.exec(svg)?.[1] ?? '';
    const starts = [...path.matchAll(/M(\d+) (\d+)\.5/g)].map((m) => [Number(m[1]), Number(m[2])]);
    expect(Math.min(...starts.map(([x]) => x as number))).toBe(QUIET_ZONE);
    expect(Math.min(...starts.map(([, y]) => y as number))).toBe(QUIET_ZONE);
    expect(Math.max(...starts.map(([, y]) => y as number))).toBe(width - QUIET_ZONE - 1);
  });

  it('is labelled for screen readers in the words given, escaped, and styled by the page', async () => {
    const svg = await qrSvg('https://id.example.test/q/x', 'QR-Code "scannen" & los');
    expect(svg).toMatch(/^<svg role="img" aria-label="QR-Code &quot;scannen&quot; &amp; los" class="qr-svg" /);
  });
});
