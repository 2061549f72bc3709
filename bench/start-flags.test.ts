import { describe, expect, it } from 'vitest';

import { projectRoot } from '../src/paths.js';

import { nodeFlagsOf, startFlags } from './start-flags.js';

describe('nodeFlagsOf', () => {
  it('returns the flags between node and the server script', () => {
    expect(nodeFlagsOf('node --max-semi-space-size=16 --trace-gc dist/src/main.js')).toEqual(['--max-semi-space-size=16', '--trace-gc']);
    expect(nodeFlagsOf('node dist/src/main.js')).toEqual([]);
  });

  it('refuses a start script of another shape, so the bench cannot silently run qrid differently', () => {
    expect(() => nodeFlagsOf('tsx src/main.ts')).toThrow(/not "node \[flags\] dist\/src\/main.js"/);
    expect(() => nodeFlagsOf('node dist/src/main.js --port 3000')).toThrow(/not "node/);
    expect(() => nodeFlagsOf('node -r ./x.js dist/src/main.js')).toThrow(/"-r" where only node flags may be/);
  });
});

describe('startFlags', () => {
  it("reads this checkout's npm start", () => {
    expect(startFlags(projectRoot)).toContain('--max-semi-space-size=16');
  });
});
