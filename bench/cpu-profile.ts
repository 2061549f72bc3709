import { type CallFrame, functionOf, packageOf } from './call-frames.js';

/**
 * Reads a V8 CPU profile (DevTools `Profiler.stop`, or a `--cpu-prof` file) as time per flow:
 * each sample stands for the profile's duration divided by its sample count (V8 samples the
 * main thread at a fixed wall-clock interval, idle included), charged to the function on top of
 * the stack ("self" time), and grouped by function, by package and by the part of the stack it
 * belongs to.
 */
export interface CpuProfile {
  nodes: { id: number; callFrame: CallFrame }[];
  startTime: number;
  endTime: number;
  samples: number[];
}

export interface TimePerFlow {
  byPart: Map<string, number>;
  byPackage: Map<string, number>;
  byFunction: Map<string, number>;
}

/** The socket writes' native functions: their time is mostly the kernel's loopback TCP path. */
const SOCKET_WRITES = new Set(['writeUtf8String', 'writeLatin1String', 'writeBuffer', 'writev', 'writeAsciiString']);
const KOA = new Set(['koa', 'koa-compose', '@koa/router', 'koa-mount', 'delegates', 'on-finished', 'cookies', 'keygrip', 'negotiator', 'accepts', 'type-is', 'statuses', 'http-errors', 'vary', 'content-disposition', 'encodeurl', 'escape-html', 'fresh', 'mime-types', 'only', 'depd', 'path-to-regexp', 'ee-first']);

function partOf(pkg: string, functionName: string): string {
  if (pkg === 'qrid' || pkg === 'oidc-provider' || pkg === 'node') return pkg === 'node' ? "node's own JavaScript (http, net, streams, events, crypto)" : pkg;
  if (KOA.has(pkg)) return 'Koa and its helpers';
  if (pkg === '(idle)') return 'idle';
  if (pkg === '(garbage collector)') return 'garbage collector (main thread)';
  if (SOCKET_WRITES.has(functionName)) return 'socket writes (native, with the kernel)';
  if (pkg === '(program)' || pkg === '(root)') return 'V8 and node outside JavaScript';
  if (pkg.startsWith('(')) return 'other native functions (parsers, hashing, JSON)';
  return 'other packages';
}

export function timePerFlow(profile: CpuProfile, flows: number): TimePerFlow {
  const each = (profile.endTime - profile.startTime) / profile.samples.length / flows;
  const byId = new Map(profile.nodes.map((node) => [node.id, node.callFrame]));
  const result: TimePerFlow = { byPart: new Map(), byPackage: new Map(), byFunction: new Map() };
  const add = (map: Map<string, number>, key: string) => map.set(key, (map.get(key) ?? 0) + each);
  for (const id of profile.samples) {
    const frame = byId.get(id);
    if (!frame) continue;
    const pkg = packageOf(frame);
    add(result.byPart, partOf(pkg, frame.functionName));
    add(result.byPackage, pkg);
    add(result.byFunction, functionOf(frame));
  }
  return result;
}
