import type { AddressInfo } from 'node:net';

import Provider from 'oidc-provider';
import { describe, expect, it } from 'vitest';

import { startQrid } from '../../test/support/start-qrid.js';

const STRAY = [
  ['POST', '/device'],
  ['GET', '/device/auth'],
  ['GET', '/device/not-an-interaction'],
] as const;

/** The requests device-verification-guard.ts keeps away from oidc-provider. */
describe('device verification guard', () => {
  it('is still needed: bare oidc-provider answers these with a 500 (when this fails, delete the guard)', async () => {
    const provider = new Provider('http://localhost', {
      clients: [{ client_id: 'tv', grant_types: ['urn:ietf:params:oauth:grant-type:device_code'], response_types: [], redirect_uris: [], token_endpoint_auth_method: 'none' }],
      features: { deviceFlow: { enabled: true } },
    });
    const server = provider.listen(0, '127.0.0.1');
    await new Promise((resolve) => server.once('listening', resolve));
    const silence = console.error;
    console.error = () => {};
    try {
      const { port } = server.address() as AddressInfo;
      for (const [method, path] of STRAY) expect((await fetch(`http://127.0.0.1:${port}${path}`, { method })).status, `${method} ${path}`).toBe(500);
    } finally {
      console.error = silence;
      server.close();
    }
  });

  it('answers them in qrid with a 400 page', async () => {
    const qrid = await startQrid({ clients: [{ client_id: 'tv', client_name: 'TV', device_grant: true }] });
    try {
      for (const [method, path] of STRAY) {
        const response = await fetch(`${qrid.issuer}${path}`, { method, headers: { Accept: 'text/html' } });
        expect(response.status, `${method} ${path}`).toBe(400);
        expect(await response.text()).toContain('interaction_not_found');
      }
    } finally {
      await qrid.close();
    }
  });
});
