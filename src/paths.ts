import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The project root (where views/ and static/ live), whether running from src/ or dist/src/. */
function findRoot(start: string): string {
  let dir = start;
  for (;;) {
    const manifest = join(dir, 'package.json');
    if (existsSync(manifest) && (JSON.parse(readFileSync(manifest, 'utf8')) as { name?: string }).name === 'qrid') {
      return dir;
    }
    const parent = dirname(dir);
    if (parent === dir) throw new Error('cannot find the qrid project root');
    dir = parent;
  }
}

export const projectRoot = findRoot(dirname(fileURLToPath(import.meta.url)));
export const viewsDir = join(projectRoot, 'views');
export const staticDir = join(projectRoot, 'static');
/** The WebAuthn browser helper, served as /static/vendor/webauthn.js. */
export const webauthnBrowserBundle = join(projectRoot, 'node_modules/@simplewebauthn/browser/dist/bundle/index.umd.min.js');
/** The QR decoder the phone's scanner uses where the browser has no BarcodeDetector, served as /static/vendor/jsqr.js. */
export const jsqrBundle = join(projectRoot, 'node_modules/jsqr/dist/jsQR.js');
