import { parseArgs } from 'node:util';

import { baselineFlow, drive, type FlowTarget } from './flows.js';
import { getOnNewConnection, Jar, request } from './http-client.js';
import { freePort } from './loopback.js';
import { FLOOR_SERVER, flowTarget, type Loaded, pairedRound, startNode, writeConfig } from './processes.js';

/**
 * `node dist/bench/request-floor.js [--requests 3] [--new-connections 1] [--rounds 6] [--seconds 6]`:
 * what the number of requests alone costs. Two baseline servers (bench/baseline-server.ts) are
 * loaded at once, as in bench/paired.ts: A runs the floor's flow, B the same flow plus
 * `--requests` requests that do nothing on the browser's keep-alive connection and
 * `--new-connections` more on a new connection each (the defaults are what a QR login added in
 * number until round 15: its event stream on a connection of its own, the phone's GET and POST,
 * the completion; since then its stream's connection is kept, so 4 and 0). Prints B ÷ A per round: the share of the
 * floor's flow a QR login would cost if everything it does in those requests were free.
 */
const { values } = parseArgs({
  options: { requests: { type: 'string', default: '3' }, 'new-connections': { type: 'string', default: '1' }, rounds: { type: 'string', default: '6' }, seconds: { type: 'string', default: '6' } },
});
const extra = Number(values.requests);
const fresh = Number(values['new-connections']);

async function up(flow: Loaded['flow']): Promise<Loaded> {
  const port = await freePort();
  const server = await startNode(FLOOR_SERVER, port, writeConfig(`http://localhost:${port}`, { kind: 'memory' }));
  return { server, target: await flowTarget(server, true), flow };
}

async function withNothingRequests(target: FlowTarget): Promise<number> {
  const browser = new Jar();
  for (let i = 0; i < extra; i += 1) await request(target.browserBase, browser, 'GET', '/bench/nothing');
  for (let i = 0; i < fresh; i += 1) await getOnNewConnection(`${target.browserBase}/bench/nothing`);
  return baselineFlow(target);
}

const a = await up(baselineFlow);
const b = await up(withNothingRequests);
try {
  await Promise.all([drive(a.flow, a.target, 4, 2), drive(b.flow, b.target, 4, 2)]); // warm-up
  const ratios: number[] = [];
  for (let round = 1; round <= Number(values.rounds); round += 1) {
    const perFlow = await pairedRound(a, b, 4, Number(values.seconds));
    ratios.push(perFlow.b / perFlow.a);
    process.stdout.write(
      `round ${round}: floor ${Math.round(perFlow.a)} µs/flow, with ${extra} + ${fresh} requests that do nothing ${Math.round(perFlow.b)} µs/flow, B/A ${(perFlow.b / perFlow.a).toFixed(3)}\n`,
    );
  }
  const mean = ratios.reduce((sum, r) => sum + r, 0) / ratios.length;
  process.stdout.write(`mean B/A ${mean.toFixed(3)}: with nothing else to do, a flow of that many requests reaches at most ${(1 / mean).toFixed(2)} of the floor's flows per second\n`);
} finally {
  await Promise.all([a.server.stop(), b.server.stop()]);
}
