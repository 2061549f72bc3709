import { Redis } from 'ioredis';

import { qrFlow } from './flows.js';
import { freePort } from './loopback.js';
import { flowTarget, QRID_SERVER, startNode, startRedis, writeConfig } from './processes.js';

/**
 * `node dist/bench/trace.js`: every Redis command one complete QR login causes, in order, by
 * who sent it (qrid, or a Lua script on its behalf), with keys shortened to their kind. This
 * is the list behind the bench's "Redis commands per complete flow".
 */
async function main(): Promise<void> {
  const redis = await startRedis();
  const port = await freePort();
  const server = await startNode(QRID_SERVER, port, writeConfig(`http://localhost:${port}`, { kind: 'redis', url: redis.url, prefix: 'bench:' }));
  try {
    const target = await flowTarget(server, false);
    await qrFlow(target); // warm: first-time reads (keys, clients) are not part of a steady-state flow
    const monitor = new Redis(redis.url);
    const lines: string[] = [];
    const feed = await monitor.monitor();
    feed.on('monitor', (_time: string, args: string[], source: string) => {
      const [name = '', ...rest] = args;
      const shown = rest.map((a) => (a.length > 40 ? `${a.slice(0, 16)}…` : a)).join(' ');
      lines.push(`${source.startsWith('lua') ? '  lua ' : '      '}${name.toUpperCase()} ${shown.replace(/[\w-]{20,}/g, '…')}`);
    });
    await redis.client.config('RESETSTAT');
    await qrFlow(target);
    await new Promise((resolve) => setTimeout(resolve, 200));
    const total = Number(/total_commands_processed:(\d+)/.exec(await redis.client.info('stats'))?.[1]);
    feed.disconnect();
    monitor.disconnect();
    process.stdout.write(`${lines.join('\n')}\n\n${lines.length} commands seen by MONITOR; Redis counted ${total} (its count includes the INFO that read it)\n`);
  } finally {
    await server.stop();
    await redis.stop();
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`trace failed: ${error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(1);
});
