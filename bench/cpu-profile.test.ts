import { describe, expect, it } from 'vitest';

import { type CpuProfile, timePerFlow } from './cpu-profile.js';

const frame = (functionName: string, url = '') => ({ functionName, url, lineNumber: 9 });

// Four nodes of a profile: idle, a socket write, oidc-provider's code and qrid's.
const profile: CpuProfile = {
  nodes: [
    { id: 1, callFrame: frame('(idle)') },
    { id: 2, callFrame: frame('writeUtf8String') },
    { id: 3, callFrame: frame('pick', 'file:///srv/node_modules/oidc-provider/lib/models/payload.js') },
    { id: 4, callFrame: frame('render', 'file:///srv/qrid/dist/src/interactions/qr-page.js') },
    { id: 5, callFrame: frame('dispatch', 'file:///srv/node_modules/@koa/router/dist/index.mjs') },
  ],
  startTime: 0,
  endTime: 8_000, // 8 samples of 1,000 µs
  samples: [1, 1, 2, 3, 3, 3, 4, 5],
};

describe('timePerFlow', () => {
  it('charges each sample the profile duration over the sample count, divided by the flows', () => {
    const time = timePerFlow(profile, 2);
    expect(time.byPackage.get('oidc-provider')).toBe(1_500);
    expect(time.byPackage.get('qrid')).toBe(500);
    expect(time.byPackage.get('@koa/router')).toBe(500);
    expect(time.byFunction.get('pick oidc-provider/lib/models/payload.js:10')).toBe(1_500);
    expect(time.byFunction.get('render dist/src/interactions/qr-page.js:10')).toBe(500);
  });

  it('groups packages into the parts of the stack it reports', () => {
    const time = timePerFlow(profile, 1);
    expect(Object.fromEntries(time.byPart)).toEqual({
      idle: 2_000,
      'socket writes (native, with the kernel)': 1_000,
      'oidc-provider': 3_000,
      qrid: 1_000,
      'Koa and its helpers': 1_000,
    });
  });
});
