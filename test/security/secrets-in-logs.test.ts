import { Writable } from 'node:stream';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { createLogger } from '../../src/logging/logger.js';
import { BrowserClient } from '../support/browser-client.js';
import { enrolledPhone, PHONE_UA } from '../support/phone.js';
import { RelyingParty } from '../support/relying-party.js';
import { openQrPage } from '../support/sign-in.js';
import { type RunningQrid, startQrid } from '../support/start-qrid.js';

/**
 * Security suite, item 22 (see SECURITY.md): a one-time secret in a URL (enrollment token, QR
 * handle) never reaches a log line, whatever letter case or trailing characters the path is
 * sent with: routes match case-sensitively, and the log's redaction matches what they match.
 */
describe('security: one-time secrets stay out of the logs', () => {
  let qrid: RunningQrid;
  const lines: string[] = [];

  beforeAll(async () => {
    const sink = new Writable({
      write(chunk: Buffer, _e, done) {
        lines.push(...chunk.toString().split('\n').filter(Boolean));
        done();
      },
    });
    qrid = await startQrid({}, { logger: createLogger('info', sink) });
  });
  afterAll(async () => {
    await qrid.close();
  });

  it('[22] /ENROLL/<token> and /Q/<handle> are not served, and no log line holds the token or handle in any case', async () => {
    const { phone } = await enrolledPhone(qrid);
    const user = await qrid.qrid.services.users.create({ username: 'logged' });
    const { token } = await qrid.qrid.services.enrollments.create('invite', user.id);
    const waiting = await openQrPage(new BrowserClient(qrid.issuer), await RelyingParty.discover(qrid.issuer));
    const handle = new URL(waiting.qrUrl).pathname.split('/')[2] as string;
    const secret = handle.split('.')[1] as string;

    const otherCase = [`/ENROLL/${token}`, `/Enroll/${token}`, `/ENROLL/${token}/`, `/Q/${handle}`, `/Q/${handle}/scan`, `/q/${handle}/SCAN`, `/Q/${handle}/`];
    for (const path of otherCase) {
      const page = await new BrowserClient(qrid.issuer, PHONE_UA).get(path);
      expect(page.status, path).toBe(404);
    }
    // A trailing slash is the same route (and the same redaction).
    const variants = [...otherCase, `/enroll/${token}/`, `/q/${handle}/`];
    for (const path of variants.slice(otherCase.length)) await new BrowserClient(qrid.issuer, PHONE_UA).get(path);
    // The genuine paths still work, and they too are logged without their secret.
    expect((await phone.get(`/q/${handle}`)).status).toBe(200);
    expect((await new BrowserClient(qrid.issuer, PHONE_UA).get(`/enroll/${token}`)).status).toBe(200);

    const requestLines = lines.filter((l) => l.includes('"msg":"request"'));
    expect(requestLines.length).toBeGreaterThan(variants.length);
    for (const line of lines) {
      expect(line).not.toContain(token);
      expect(line).not.toContain(secret);
      expect(line.toLowerCase()).not.toContain(token.toLowerCase());
      expect(line.toLowerCase()).not.toContain(secret.toLowerCase());
    }
    for (const path of variants) {
      const redacted = path.replace(token, ':secret').replace(handle, ':secret');
      expect(requestLines.some((l) => l.includes(`"path":"${redacted}"`)), `${path} logged as ${redacted}`).toBe(true);
    }
  });
});
