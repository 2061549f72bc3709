import { connect } from 'node:net';
import { Writable } from 'node:stream';

import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';

import { createLogger } from '../../src/logging/logger.js';
import { BrowserClient } from '../support/browser-client.js';
import { answerQr, enrolledPhone, readQrPage } from '../support/phone.js';
import { RelyingParty } from '../support/relying-party.js';
import { type RunningQrid, startQrid } from '../support/start-qrid.js';

/** Reads Server-Sent Events from a live response until `until` says stop; `onFirst` hears the first one. */
async function readEvents(url: string, cookie: string, until: (events: Array<{ event: string; data: string }>) => boolean, onFirst = () => {}) {
  const controller = new AbortController();
  const response = await fetch(url, { headers: { Cookie: cookie, Accept: 'text/event-stream' }, signal: controller.signal });
  expect(response.status).toBe(200);
  expect(response.headers.get('content-type')).toContain('text/event-stream');
  expect(response.headers.get('cache-control')).toBe('no-store');
  expect(response.headers.get('x-content-type-options')).toBe('nosniff');
  const events: Array<{ event: string; data: string }> = [];
  const decoder = new TextDecoder();
  let buffer = '';
  const reader = (response.body as ReadableStream<Uint8Array>).getReader();
  const started = Date.now();
  while (!until(events) && Date.now() - started < 30_000) {
    const { value, done } = await reader.read();
    if (done) break;
    buffer += decoder.decode(value, { stream: true });
    let end: number;
    while ((end = buffer.indexOf('\n\n')) >= 0) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      const data = block.split('\n').filter((l) => l.startsWith('data: ')).map((l) => l.slice(6)).join('\n');
      const event = block.split('\n').find((l) => l.startsWith('event: '))?.slice(7) ?? 'message';
      if (data) events.push({ event, data });
      if (events.length === 1 && data) onFirst();
    }
  }
  controller.abort();
  return events;
}

describe('the waiting page’s event stream', () => {
  let qrid: RunningQrid;
  const lines: Array<Record<string, unknown>> = [];

  beforeAll(async () => {
    const sink = new Writable({
      write(chunk: Buffer, _encoding, done) {
        for (const line of chunk.toString().split('\n').filter(Boolean)) lines.push(JSON.parse(line) as Record<string, unknown>);
        done();
      },
    });
    qrid = await startQrid({}, { logger: createLogger('info', sink) });
  });
  afterAll(async () => {
    await qrid.close();
  });

  it('pushes waiting → scanned → approved, with no personal data, and logs each approval event', async () => {
    const { phone, userId } = await enrolledPhone(qrid);
    const rp = await RelyingParty.discover(qrid.issuer);
    const desktop = new BrowserClient(qrid.issuer);
    const waiting = readQrPage(await desktop.follow(await desktop.get(await rp.authorizationUrl())));
    const cookie = [...desktop.cookies.entries()]
      .filter(([, c]) => `/interaction/${waiting.uid}/events`.startsWith(c.path))
      .map(([n, c]) => `${n}=${c.value}`)
      .join('; ');

    let opened = () => {};
    const first = new Promise<void>((resolve) => (opened = resolve));
    const stream = readEvents(
      `${qrid.issuer}/interaction/${waiting.uid}/events`,
      cookie,
      (events) => events.some((e) => e.data.includes('"approved"')),
      () => opened(),
    );
    await first; // the stream is open and has said "waiting"; now the phone answers
    await answerQr(phone, waiting.qrUrl);
    const events = await stream;

    const states = events.filter((e) => e.event === 'message').map((e) => (JSON.parse(e.data) as { state: string }).state);
    expect(states).toEqual(['waiting', 'scanned', 'approved']);
    const everything = JSON.stringify(events);
    for (const secret of ['alice', 'Alice', 'example.com', userId, 'Test phone']) expect(everything).not.toContain(secret);

    const approvalEvents = lines.filter((l) => typeof l.event === 'string' && String(l.event).startsWith('approval.'));
    expect(approvalEvents.map((l) => l.event)).toEqual(['approval.started', 'approval.scanned', 'approval.approved']);
    expect(approvalEvents[2]).toMatchObject({ clientId: 'test-rp', accountId: userId, interaction: waiting.uid, requesterIp: '127.0.0.1' });
    expect(lines.some((l) => l.event === 'device.enrolled' && l.accountId === userId)).toBe(true);
    const requests = lines.filter((l) => l.msg === 'request');
    expect(requests.length).toBeGreaterThan(5);
    expect(requests.every((l) => typeof l.requestId === 'string' && typeof l.status === 'number')).toBe(true);
    // One-time secrets never reach the log.
    const handle = new URL(waiting.qrUrl).pathname.split('/')[2] as string;
    expect(JSON.stringify(lines)).not.toContain(handle);
    expect(requests.some((l) => l.path === '/q/:secret')).toBe(true);
  });

  it('keeps a waiting page’s connection for its next request once the stream ends', async () => {
    const { phone } = await enrolledPhone(qrid);
    const rp = await RelyingParty.discover(qrid.issuer);
    const desktop = new BrowserClient(qrid.issuer);
    const waiting = readQrPage(await desktop.follow(await desktop.get(await rp.authorizationUrl())));
    const cookie = [...desktop.cookies.entries()].map(([n, c]) => `${n}=${c.value}`).join('; ');
    const request = `GET /interaction/${waiting.uid}/events HTTP/1.1\r\nHost: ${new URL(qrid.issuer).host}\r\nCookie: ${cookie}\r\nAccept: text/event-stream\r\n\r\n`;
    const until = (condition: () => boolean) => vi.waitUntil(condition, { timeout: 10_000, interval: 10 });
    const socket = connect(Number(new URL(qrid.issuer).port), '127.0.0.1');
    let text = '';
    socket.on('data', (chunk: Buffer) => (text += chunk.toString('latin1')));
    socket.write(request);
    await until(() => text.includes('"state":"waiting"'));

    // The approval ends the stream (chunked, so the end is framed) and the same connection
    // serves the browser's next request, without a new TCP or TLS handshake.
    await answerQr(phone, waiting.qrUrl);
    await until(() => text.endsWith('0\r\n\r\n'));
    expect(text.toLowerCase()).toContain('transfer-encoding: chunked');
    expect(text.toLowerCase()).not.toContain('connection: close');
    expect(text).toMatch(/data: \{"state":"approved"[^\n]*\n\n\r\n0\r\n\r\n$/);
    socket.write(`GET /jwks HTTP/1.1\r\nHost: ${new URL(qrid.issuer).host}\r\n\r\n`);
    await until(() => text.includes('"keys"'));
    socket.destroy();
  });

  it('tells a stream without a pending approval that it has expired and ends it', async () => {
    const rp = await RelyingParty.discover(qrid.issuer);
    const desktop = new BrowserClient(qrid.issuer);
    const waiting = readQrPage(await desktop.follow(await desktop.get(await rp.authorizationUrl())));
    const approval = await qrid.qrid.services.approvals.forInteraction(waiting.uid);
    await qrid.store.deleteKeys([`approval:${approval?.id}`]);
    const cookie = [...desktop.cookies.entries()].map(([n, c]) => `${n}=${c.value}`).join('; ');
    const events = await readEvents(`${qrid.issuer}/interaction/${waiting.uid}/events`, cookie, () => false);
    expect(events.map((e) => JSON.parse(e.data) as unknown)).toEqual([{ state: 'expired' }]);
  });
});
