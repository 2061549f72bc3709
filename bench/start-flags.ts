import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * The node flags in a start script of the form `node [flags] dist/src/main.js`, which is what
 * package.json's `start` must stay: the bench starts every qrid with these, so what it measures
 * is what `npm start` runs.
 */
export function nodeFlagsOf(startScript: string): string[] {
  const words = startScript.trim().split(/\s+/);
  if (words[0] !== 'node' || words.at(-1) !== 'dist/src/main.js') {
    throw new Error(`package.json's start script is not "node [flags] dist/src/main.js": ${JSON.stringify(startScript)}`);
  }
  const flags = words.slice(1, -1);
  const notFlag = flags.find((word) => !word.startsWith('--'));
  if (notFlag) throw new Error(`package.json's start script has ${JSON.stringify(notFlag)} where only node flags may be`);
  return flags;
}

/** The node flags `npm start` gives qrid in the checkout at `root`. */
export function startFlags(root: string): string[] {
  const manifest = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { scripts?: { start?: string } };
  return nodeFlagsOf(manifest.scripts?.start ?? '');
}
