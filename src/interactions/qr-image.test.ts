import { describe, expect, it } from 'vitest';

import { encodeQr } from './qr-encoder.js';
import { qrSvg } from './qr-image.js';

/** Redraws the modules an SVG's stroked runs cover, following its absolute and relative moves. */
function modulesDrawn(svg: string): { width: number; dark: Set<string> } {
  const width = Number(/viewBox="0 0 (\d+) \1"/.exec(svg)?.[1]);
  const path = /<path stroke="#000000" d="([^"]*)"/.exec(svg)?.[1] ?? '';
  const dark = new Set<string>();
  let x = 0;
  let y = 0;
  for (const [, command, a, b] of path.matchAll(/([Mmh])([\d.]+)(?: ([\d.]+))?/g)) {
    if (command === 'M') [x, y] = [Number(a), Number(b)];
    else if (command === 'm') [x, y] = [x + Number(a), y + Number(b)];
    else {
      for (let i = 0; i < Number(a); i += 1) dark.add(`${x + i},${y - 0.5}`);
      x += Number(a);
    }
  }
  return { width, dark };
}

describe('qrSvg', () => {
  it('draws exactly the dark modules of the code, inside a two-module quiet zone', async () => {
    const url = 'https://id.example.test/q/abcdefghijklmnopqrstuv.ABCDEFGHIJKLMNOPQRSTUV';
    const qr = encodeQr(Buffer.from(url));
    const drawn = modulesDrawn(await qrSvg(url));
    expect(drawn.width).toBe(qr.size + 4);
    const expected = new Set<string>();
    for (let row = 0; row < qr.size; row += 1) for (let col = 0; col < qr.size; col += 1) if (qr.modules[row * qr.size + col]) expected.add(`${col + 2},${row + 2}`);
    expect(drawn.dark).toEqual(expected);
  });

  it('draws codes of every size (three-digit coordinates in the largest)', async () => {
    for (const length of [1, 200, 2331]) {
      const text = 'x'.repeat(length);
      const qr = encodeQr(Buffer.from(text));
      const drawn = modulesDrawn(await qrSvg(text));
      expect(drawn.dark.size).toBe(qr.modules.reduce((n, m) => n + m, 0));
      expect(drawn.width).toBe(qr.size + 4);
    }
  });

  it('is labelled for screen readers and styled by the page', async () => {
    const svg = await qrSvg('https://id.example.test/q/x');
    expect(svg).toMatch(/^<svg role="img" aria-label="QR code to scan with your phone" class="qr-svg" /);
  });
});
