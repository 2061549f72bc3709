#!/usr/bin/env node
// The qrid command. Runs the built CLI (npm install builds it through the prepare script).
import { existsSync } from 'node:fs';

const major = Number(process.versions.node.split('.')[0]);
if (major < 22) {
  process.stderr.write(`qrid: needs Node.js 22 or 24 (this is ${process.version}). Run it as "npx qrid" inside the qrid folder, which uses the Node.js installed with qrid's dependencies.\n`);
  process.exit(1);
}
const entry = new URL('../dist/src/cli/main.js', import.meta.url);
if (!existsSync(entry)) {
  process.stderr.write('qrid: not built yet; run "npm install" (or "npm run build") in the qrid folder first.\n');
  process.exit(1);
}
await import(entry.href);
