import { openQrPage } from './flows.js';
import { attribute, EventStream, getOnNewConnection, Jar, request } from './http-client.js';
import { freePort } from './loopback.js';
import { cpuMicros, enrollPhone, QRID_SERVER, startNode, writeConfig } from './processes.js';

/**
 * `node dist/bench/route-cost.js [route]`: server CPU per request of qrid's requests that can
 * be repeated on their own, under the bench's load (8 concurrent clients, 4 s each, memory
 * store), beside a request that does nothing (`/healthz`: the HTTP stack and qrid's
 * middleware) and the same on a new connection each time (as a page's event stream held open gets one).
 * `route` runs only that line (e.g. under `--cpu-prof` by setting PROFILE_DIR).
 */
const only = process.argv[2];
const port = await freePort();
const profile = process.env.PROFILE_DIR ? ['--cpu-prof', `--cpu-prof-dir=${process.env.PROFILE_DIR}`] : [];
const server = await startNode(QRID_SERVER, port, writeConfig(`http://localhost:${port}`, { kind: 'memory' }), { nodeArgs: profile });
const phone = await enrollPhone(server);

async function hammer(name: string, op: (client: number) => Promise<void>): Promise<void> {
  if (only && only !== name) return;
  const run = async (ms: number) => {
    const deadline = performance.now() + ms;
    let count = 0;
    await Promise.all(
      Array.from({ length: 8 }, async (_, client) => {
        while (performance.now() < deadline) {
          await op(client);
          count += 1;
        }
      }),
    );
    return count;
  };
  await run(1000);
  const before = cpuMicros(server);
  const count = await run(4000);
  process.stdout.write(`${name.padEnd(30)} ${String(Math.round(count / 4)).padStart(6)} requests/s  ${String(Math.round((cpuMicros(server) - before) / count)).padStart(5)} µs of server CPU each\n`);
}

// Eight waiting logins, one per client: each client reloads its own page, reopens its own stream, rescans its own QR.
const logins = await Promise.all(
  Array.from({ length: 8 }, async (_, i) => {
    const jar = new Jar();
    const { path: interaction, html } = await openQrPage(server.base, jar, `route-cost-${i}`);
    return { jar, interaction, qrPath: new URL(attribute(html, /id="qr"[^>]*data-qr-url="([^"]+)"/, 'QR link')).pathname };
  }),
);
const login = (client: number) => logins[client] as (typeof logins)[number];

await hammer('/healthz', async () => void (await request(server.base, new Jar(), 'GET', '/healthz')));
await hammer('/healthz, a new connection each', () => getOnNewConnection(`${server.base}/healthz`));
await hammer('QR page (reloaded)', async (client) => void (await request(server.base, login(client).jar, 'GET', login(client).interaction)));
await hammer('event stream, opened and closed', async (client) => {
  const stream = await EventStream.open(`${server.base}${login(client).interaction}/events`, login(client).jar);
  await stream.next();
  stream.close();
});
await hammer("phone's GET /q/<handle>", async (client) => void (await request(server.base, phone, 'GET', login(client).qrPath)));
await server.stop();
