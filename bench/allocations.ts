import { parseArgs } from 'node:util';

import { type CallFrame, functionOf, packageOf } from './call-frames.js';
import { baselineFlow, drive, qrFlow } from './flows.js';
import { Inspector } from './inspector.js';
import { freePort } from './loopback.js';
import { flowTarget, serverScript, startNode, writeConfig } from './processes.js';

/**
 * `node dist/bench/allocations.js [--baseline] [--seconds 6] [--top 30]`: bytes the server's JS
 * allocates per flow, by function and by package (V8's sampling heap profiler, counting objects
 * the young and old generation collectors have freed too), memory store, 8 concurrent flows.
 * A flow's GC cost (scavenges on the main thread, concurrent marking in V8's workers) follows
 * what it allocates, which a CPU profile spreads thinly over everything that allocates.
 */
const { values } = parseArgs({
  options: { baseline: { type: 'boolean', default: false }, seconds: { type: 'string', default: '6' }, top: { type: 'string', default: '30' } },
});
const port = await freePort();
const base = `http://localhost:${port}`;
const server = await startNode(serverScript(values.baseline), port, writeConfig(base, { kind: 'memory' }), { nodeArgs: ['--inspect=127.0.0.1:0'] });
try {
  const inspector = await Inspector.attach(server.output);
  const target = await flowTarget(server, values.baseline);
  const flow = values.baseline ? baselineFlow : qrFlow;
  await drive(flow, target, 8, 3); // warm-up: JIT and lazily built state are not a flow's cost
  await inspector.call('HeapProfiler.startSampling', { samplingInterval: 1024, includeObjectsCollectedByMajorGC: true, includeObjectsCollectedByMinorGC: true });
  const run = await drive(flow, target, 8, Number(values.seconds));
  const { profile } = (await inspector.call('HeapProfiler.stopSampling')) as { profile: { head: SampleNode } };
  inspector.close();
  if (run.errors) throw new Error(`flows failed: ${run.firstError}`);

  const byFunction = new Map<string, number>();
  const byPackage = new Map<string, number>();
  let total = 0;
  const visit = (node: SampleNode) => {
    const own = node.selfSize;
    if (own > 0) {
      total += own;
      const fn = functionOf(node.callFrame);
      byFunction.set(fn, (byFunction.get(fn) ?? 0) + own);
      const pkg = packageOf(node.callFrame);
      byPackage.set(pkg, (byPackage.get(pkg) ?? 0) + own);
    }
    for (const child of node.children) visit(child);
  };
  visit(profile.head);
  const perFlow = (bytes: number) => `${(bytes / run.flows / 1024).toFixed(1).padStart(7)} KB`;
  const top = (map: Map<string, number>, n: number) =>
    [...map].sort((x, y) => y[1] - x[1]).slice(0, n).map(([k, v]) => `${perFlow(v)}  ${((100 * v) / total).toFixed(1).padStart(5)}%  ${k}`).join('\n');
  process.stdout.write(
    `${values.baseline ? 'baseline' : 'qrid'}: ${run.flows} flows, ${perFlow(total)} allocated per flow\n\nby package:\n${top(byPackage, 15)}\n\nby function (self):\n${top(byFunction, Number(values.top))}\n`,
  );
} finally {
  await server.stop();
}

interface SampleNode {
  callFrame: CallFrame;
  selfSize: number;
  children: SampleNode[];
}
