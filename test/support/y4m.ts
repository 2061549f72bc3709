import { PNG } from 'pngjs';

/**
 * A PNG as a one-frame Y4M video (planar 4:2:0, BT.601), what Chromium's fake camera
 * (`--use-file-for-fake-video-capture`) plays in a loop: how a test shows a QR to a page's
 * camera. Even dimensions and a frame rate are required, or no frame ever arrives. `pad` adds a
 * white border (a quiet zone around the code).
 */
export function pngToY4m(pngBuffer: Buffer, pad = 40): Buffer {
  const png = PNG.sync.read(pngBuffer);
  const width = (png.width + 2 * pad + 1) & ~1;
  const height = (png.height + 2 * pad + 1) & ~1;
  const rgb = (x: number, y: number): [number, number, number] => {
    const sx = x - pad;
    const sy = y - pad;
    if (sx < 0 || sy < 0 || sx >= png.width || sy >= png.height) return [255, 255, 255];
    const i = (sy * png.width + sx) * 4;
    const alpha = (png.data[i + 3] as number) / 255;
    return [0, 1, 2].map((c) => (png.data[i + c] as number) * alpha + 255 * (1 - alpha)) as [number, number, number];
  };
  const Y = Buffer.alloc(width * height);
  const U = Buffer.alloc((width / 2) * (height / 2));
  const V = Buffer.alloc((width / 2) * (height / 2));
  for (let y = 0; y < height; y += 1) {
    for (let x = 0; x < width; x += 1) {
      const [r, g, b] = rgb(x, y);
      Y[y * width + x] = Math.round(16 + 0.257 * r + 0.504 * g + 0.098 * b);
    }
  }
  for (let y = 0; y < height; y += 2) {
    for (let x = 0; x < width; x += 2) {
      let r = 0;
      let g = 0;
      let b = 0;
      for (const [dx, dy] of [[0, 0], [1, 0], [0, 1], [1, 1]] as const) {
        const p = rgb(x + dx, y + dy);
        r += p[0] / 4;
        g += p[1] / 4;
        b += p[2] / 4;
      }
      const j = (y / 2) * (width / 2) + x / 2;
      U[j] = Math.round(128 - 0.148 * r - 0.291 * g + 0.439 * b);
      V[j] = Math.round(128 + 0.439 * r - 0.368 * g - 0.071 * b);
    }
  }
  return Buffer.concat([Buffer.from(`YUV4MPEG2 W${width} H${height} F30:1 Ip A1:1 C420jpeg\n`), Buffer.from('FRAME\n'), Y, U, V]);
}
