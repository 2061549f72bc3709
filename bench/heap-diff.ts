import { readFileSync } from 'node:fs';

/**
 * `node dist/bench/heap-diff.js before.heapsnapshot after.heapsnapshot [count] [name...]`:
 * objects added between two V8 heap snapshots, grouped by constructor (or node type), largest
 * self size first; then, for each `name` prefix given ("object Url", "concatenated string"),
 * retainer chains of a few instances new in `after` (ids grow within one process).
 */
interface Snapshot {
  snapshot: { meta: { node_fields: string[]; node_types: [string[]]; edge_fields: string[]; edge_types: [string[]] } };
  nodes: number[];
  edges: number[];
  strings: string[];
}

const load = (file: string) => JSON.parse(readFileSync(file, 'utf8')) as Snapshot;

function groups(s: Snapshot): Map<string, { count: number; size: number }> {
  const { node_fields, node_types } = s.snapshot.meta;
  const width = node_fields.length;
  const [typeAt, nameAt, sizeAt] = ['type', 'name', 'self_size'].map((f) => node_fields.indexOf(f)) as [number, number, number];
  const out = new Map<string, { count: number; size: number }>();
  for (let i = 0; i < s.nodes.length; i += width) {
    const type = node_types[0][s.nodes[i + typeAt] as number] as string;
    const name = s.strings[s.nodes[i + nameAt] as number] as string;
    const key = type === 'object' || type === 'closure' || type === 'native' ? `${type} ${name.slice(0, 60)}` : `(${type})`;
    const g = out.get(key) ?? { count: 0, size: 0 };
    g.count += 1;
    g.size += s.nodes[i + sizeAt] as number;
    out.set(key, g);
  }
  return out;
}

function retainers(s: Snapshot, wanted: string, samples: number, newerThan: number): string[] {
  const { node_fields, node_types, edge_fields, edge_types } = s.snapshot.meta;
  const width = node_fields.length;
  const edgeWidth = edge_fields.length;
  const [typeAt, nameAt, edgeCountAt, idAt] = ['type', 'name', 'edge_count', 'id'].map((f) => node_fields.indexOf(f)) as [number, number, number, number];
  const [edgeTypeAt, edgeNameAt, toAt] = ['type', 'name_or_index', 'to_node'].map((f) => edge_fields.indexOf(f)) as [number, number, number];
  const retainedBy = new Map<number, { from: number; edge: string }[]>();
  let edge = 0;
  for (let i = 0; i < s.nodes.length; i += width) {
    for (let e = 0; e < (s.nodes[i + edgeCountAt] as number); e += 1, edge += edgeWidth) {
      const kind = edge_types[0][s.edges[edge + edgeTypeAt] as number] as string;
      if (kind === 'weak' || kind === 'shortcut') continue;
      const to = s.edges[edge + toAt] as number;
      const raw = s.edges[edge + edgeNameAt] as number;
      const label = kind === 'element' || kind === 'hidden' ? `[${raw}]` : (s.strings[raw] as string);
      const list = retainedBy.get(to) ?? [];
      list.push({ from: i, edge: `${kind}:${label}` });
      retainedBy.set(to, list);
    }
  }
  const describe = (i: number) => `${node_types[0][s.nodes[i + typeAt] as number]} ${(s.strings[s.nodes[i + nameAt] as number] as string).slice(0, 50)}`;
  const found: string[] = [];
  for (let i = 0; i < s.nodes.length && found.length < samples; i += width) {
    if ((s.nodes[i + idAt] as number) <= newerThan || !describe(i).startsWith(wanted)) continue;
    const chain = [describe(i)];
    let at = i;
    const seen = new Set([at]);
    for (let depth = 0; depth < 12; depth += 1) {
      const next = (retainedBy.get(at) ?? []).find((r) => !seen.has(r.from) && !describe(r.from).startsWith('synthetic'));
      if (!next) break;
      chain.push(`<-${next.edge}- ${describe(next.from)}`);
      at = next.from;
      seen.add(at);
    }
    found.push(chain.join('\n    '));
  }
  return found;
}

const [beforeFile, afterFile, countArg, ...names] = process.argv.slice(2);
if (!beforeFile || !afterFile) throw new Error('usage: heap-diff before.heapsnapshot after.heapsnapshot [count] [name...]');
const after = load(afterFile);
const first = load(beforeFile);
const before = groups(first);
const idAt = first.snapshot.meta.node_fields.indexOf('id');
let lastId = 0;
for (let i = idAt; i < first.nodes.length; i += first.snapshot.meta.node_fields.length) lastId = Math.max(lastId, first.nodes[i] as number);
const count = Number(countArg ?? 1);
const rows = [...groups(after)]
  .map(([key, g]) => ({ key, count: g.count - (before.get(key)?.count ?? 0), size: g.size - (before.get(key)?.size ?? 0) }))
  .filter((r) => r.size > 0)
  .sort((a, b) => b.size - a.size);
const total = rows.reduce((sum, r) => sum + r.size, 0);
process.stdout.write(`added self size: ${total} bytes (${(total / count).toFixed(0)} per stream over ${count})\n`);
for (const r of rows.slice(0, 40)) {
  process.stdout.write(`${String(r.size).padStart(10)} ${(r.size / count).toFixed(0).padStart(6)}/stream ${(r.count / count).toFixed(2).padStart(6)}×  ${r.key}\n`);
}
for (const name of names) process.stdout.write(`\n${name}:\n  ${retainers(after, name, 3, lastId).join('\n  ')}\n`);

/**
 * Bytes no longer reachable from the GC roots if every new instance of `Constructor` lost its
 * `edge` (e.g. "ServerResponse.__onFinished"): what that reference keeps alive.
 */
function reachableSize(s: Snapshot, cut: (from: number, edgeName: string) => boolean): number {
  const { node_fields, edge_fields, edge_types } = s.snapshot.meta;
  const width = node_fields.length;
  const edgeWidth = edge_fields.length;
  const [sizeAt, edgeCountAt] = ['self_size', 'edge_count'].map((f) => node_fields.indexOf(f)) as [number, number];
  const [edgeTypeAt, edgeNameAt, toAt] = ['type', 'name_or_index', 'to_node'].map((f) => edge_fields.indexOf(f)) as [number, number, number];
  const firstEdge = new Uint32Array(s.nodes.length / width + 1);
  for (let n = 0, e = 0; n < s.nodes.length / width; n += 1) {
    firstEdge[n] = e;
    e += (s.nodes[n * width + edgeCountAt] as number) * edgeWidth;
  }
  const seen = new Uint8Array(s.nodes.length / width);
  const stack = [0];
  seen[0] = 1;
  let total = 0;
  while (stack.length) {
    const n = stack.pop() as number;
    total += s.nodes[n * width + sizeAt] as number;
    const start = firstEdge[n] as number;
    for (let e = start; e < start + (s.nodes[n * width + edgeCountAt] as number) * edgeWidth; e += edgeWidth) {
      const kind = edge_types[0][s.edges[e + edgeTypeAt] as number] as string;
      if (kind === 'weak') continue;
      const name = kind === 'element' || kind === 'hidden' ? '' : (s.strings[s.edges[e + edgeNameAt] as number] as string);
      if (cut(n * width, name)) continue;
      const to = (s.edges[e + toAt] as number) / width;
      if (!seen[to]) {
        seen[to] = 1;
        stack.push(to);
      }
    }
  }
  return total;
}

const cuts = process.env.CUT?.split(',').filter(Boolean) ?? [];
if (cuts.length) {
  const { node_fields, node_types } = after.snapshot.meta;
  const [typeAt, nameAt, idAtAfter] = ['type', 'name', 'id'].map((f) => node_fields.indexOf(f)) as [number, number, number];
  const full = reachableSize(after, () => false);
  process.stdout.write('\nkept alive per stream by (new instances only):\n');
  for (const spec of cuts) {
    const [ctor, edge] = spec.split('.') as [string, string];
    const saved =
      full -
      reachableSize(after, (from, name) => {
        if (name !== edge || (after.nodes[from + idAtAfter] as number) <= lastId) return false;
        return node_types[0][after.nodes[from + typeAt] as number] !== 'string' && after.strings[after.nodes[from + nameAt] as number] === ctor;
      });
    process.stdout.write(`${String(Math.round(saved / count)).padStart(8)}  ${spec}\n`);
  }
}
