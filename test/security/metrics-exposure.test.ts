import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { describe, expect, it } from 'vitest';

import { freePort } from '../support/loopback.js';
import { COOKIE_KEY, startQridProcess } from '../support/qrid-process.js';
import { startQrid } from '../support/start-qrid.js';

/**
 * Security suite, item 25 (see SECURITY.md): outside development, /metrics is not open to
 * whoever reaches the public port: it needs the bearer token, or it is served only on a
 * listener of its own (`metrics.listen`), and start-up says where metrics are.
 */
describe('security: metrics are not public outside development', () => {
  it('[25] with neither a token nor a listener of its own, /metrics is not served; in development it is', async () => {
    const production = await startQrid();
    try {
      const response = await fetch(`${production.issuer}/metrics`);
      expect(response.status).toBe(404);
      expect(await response.text()).not.toContain('qrid_');
    } finally {
      await production.close();
    }
    const development = await startQrid({ development: true });
    try {
      expect((await fetch(`${development.issuer}/metrics`)).status).toBe(200);
    } finally {
      await development.close();
    }
  });

  it('[25] metrics.listen serves /metrics on its own address only, with the token when one is set, and start-up says where', async () => {
    const [port, metricsPort] = [await freePort(), await freePort()];
    const file = join(mkdtempSync(join(tmpdir(), 'qrid-metrics-')), 'qrid.yaml');
    const token = 'metrics-token-for-the-test-0123';
    writeFileSync(
      file,
      [`issuer: http://localhost:${port}`, 'host: 127.0.0.1', `cookie_keys: ["${COOKIE_KEY}"]`, 'log_level: warn', `metrics: { listen: "127.0.0.1:${metricsPort}", token: ${token} }`, ''].join('\n'),
    );
    const qrid = await startQridProcess(port, file);
    try {
      expect((await fetch(`http://127.0.0.1:${port}/metrics`, { headers: { Authorization: `Bearer ${token}` } })).status).toBe(404);
      expect((await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).status).toBe(401);
      const scraped = await fetch(`http://127.0.0.1:${metricsPort}/metrics`, { headers: { Authorization: `Bearer ${token}` } });
      expect(scraped.status).toBe(200);
      expect(await scraped.text()).toContain('qrid_logins_total');
      // Nothing else is served there.
      expect((await fetch(`http://127.0.0.1:${metricsPort}/.well-known/openid-configuration`)).status).toBe(404);
      expect(qrid.output()).toContain(`metrics: http://127.0.0.1:${metricsPort}/metrics (bearer token required)`);
    } finally {
      await qrid.stop();
    }
  });
});
