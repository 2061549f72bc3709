import { describe, expect, it } from 'vitest';

import { functionOf, packageOf } from './call-frames.js';

const frame = (functionName: string, url = '', lineNumber = 9) => ({ functionName, url, lineNumber });

describe('packageOf', () => {
  it('names the npm package, scoped or not, of the innermost node_modules', () => {
    expect(packageOf(frame('pick', 'file:///srv/node_modules/oidc-provider/lib/models/payload.js'))).toBe('oidc-provider');
    expect(packageOf(frame('match', 'file:///srv/node_modules/@koa/router/dist/index.mjs'))).toBe('@koa/router');
    expect(packageOf(frame('x', 'file:///srv/node_modules/a/node_modules/ee-first/index.js'))).toBe('ee-first');
  });

  it("groups this checkout's dist/ as qrid, node's modules as node, and native functions by name", () => {
    expect(packageOf(frame('render', 'file:///srv/qrid/dist/src/interactions/qr-page.js'))).toBe('qrid');
    expect(packageOf(frame('hash', 'node:internal/crypto/hash'))).toBe('node');
    expect(packageOf(frame('(garbage collector)'))).toBe('(garbage collector)');
    expect(packageOf(frame('writeUtf8String'))).toBe('(writeUtf8String)');
    expect(packageOf(frame(''))).toBe('(anonymous)');
  });
});

describe('functionOf', () => {
  it('shortens the file to its package path or dist/, with a 1-based line', () => {
    expect(functionOf(frame('pick', 'file:///srv/node_modules/oidc-provider/lib/models/payload.js', 11))).toBe('pick oidc-provider/lib/models/payload.js:12');
    expect(functionOf(frame('', 'file:///srv/qrid/dist/src/app.js', 0))).toBe('(anonymous) dist/src/app.js:1');
  });
});
