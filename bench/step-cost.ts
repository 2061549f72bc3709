import { parseArgs } from 'node:util';

import { baselineFlow, cutAfter, drive, type FlowTarget, median, qrFlow, stepNames } from './flows.js';
import { freePort } from './loopback.js';
import { cpuMicros, flowTarget, type Server, serverScript, startNode, writeConfig } from './processes.js';

/**
 * `node dist/bench/step-cost.js [--rounds 4] [--seconds 4]`: server CPU per step of a flow,
 * the floor's and qrid's (memory store), under the bench's load (8 concurrent flows). Each
 * round loads the server with flows cut short after 1, 2, … steps; a step's cost is the
 * difference between consecutive cuts' CPU per flow, and the median of the rounds is printed.
 * What a step leaves behind (an open stream, an abandoned interaction) is charged to the step.
 */
const { values } = parseArgs({ options: { rounds: { type: 'string', default: '4' }, seconds: { type: 'string', default: '4' } } });
const ROUNDS = Number(values.rounds);
const SECONDS = Number(values.seconds);

async function stepCosts(server: Server, flow: (t: FlowTarget) => Promise<number>, target: FlowTarget): Promise<[string, number][]> {
  const names = await stepNames(flow, target);
  await drive(flow, target, 8, 2); // warm-up
  const costs = names.map(() => [] as number[]);
  for (let round = 0; round < ROUNDS; round += 1) {
    // Every cut flow leaves records in the memory store, so the heap, and what a GC costs,
    // grows through a round: odd rounds go from the longest cut to the shortest.
    const order = names.map((_, i) => i + 1);
    if (round % 2 === 1) order.reverse();
    const perFlow = new Map<number, number>();
    for (const steps of order) {
      const before = cpuMicros(server);
      const run = await drive(cutAfter(flow, steps), target, 8, SECONDS);
      if (run.errors) throw new Error(`flows failed: ${run.firstError}`);
      perFlow.set(steps, (cpuMicros(server) - before) / run.flows);
    }
    for (let steps = 1; steps <= names.length; steps += 1) costs[steps - 1]?.push((perFlow.get(steps) as number) - (perFlow.get(steps - 1) ?? 0));
  }
  return names.map((name, i) => [name, Math.round(median(costs[i] as number[]))]);
}

async function measure(floor: boolean): Promise<[string, number][]> {
  const port = await freePort();
  const server = await startNode(serverScript(floor), port, writeConfig(`http://localhost:${port}`, { kind: 'memory' }));
  try {
    return await stepCosts(server, floor ? baselineFlow : qrFlow, await flowTarget(server, floor));
  } finally {
    await server.stop();
  }
}

const print = (name: string, steps: [string, number][]) => {
  process.stdout.write(`${name}: µs of server CPU per step (median of ${ROUNDS} rounds)\n`);
  for (const [step, micros] of steps) process.stdout.write(`  ${String(micros).padStart(6)}  ${step}\n`);
  process.stdout.write(`  ${String(steps.reduce((sum, [, micros]) => sum + micros, 0)).padStart(6)}  whole flow\n`);
};
print('floor (oidc-provider, instant sign-in)', await measure(true));
print('qrid (memory store)', await measure(false));
process.exit(0);
