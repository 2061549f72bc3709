import { readdirSync, readFileSync } from 'node:fs';

/**
 * A server process's CPU time so far, split the two ways that tell where a flow's cost is:
 * by thread kind (node's main thread runs all JavaScript and every socket read and write; V8's
 * workers mark and compile concurrently; libuv's run async crypto) and by mode (user space
 * against the kernel, from /proc's 10 ms ticks: coarse, so only meaningful over seconds).
 */
export interface ThreadCpu {
  /** µs on a CPU, by thread kind (schedstat, nanosecond resolution). */
  byKind: Map<string, number>;
  userMicros: number;
  systemMicros: number;
}

const TICK_MICROS = 10_000; // USER_HZ is 100 on Linux

/**
 * Node names its threads (Node 26 prefixes its own with "node-": "node-MainThread",
 * "node-V8Worker"); everything that is neither V8's nor libuv's worker is "other".
 */
export function threadKind(comm: string): string {
  const name = comm.startsWith('node-') ? comm.slice('node-'.length) : comm;
  if (name === 'MainThread' || name === 'node') return 'main thread';
  if (name.startsWith('V8Worker')) return 'V8 workers';
  if (name.startsWith('libuv-worker')) return 'libuv workers';
  return 'other';
}

export function threadCpu(pid: number): ThreadCpu {
  const byKind = new Map<string, number>();
  let user = 0;
  let system = 0;
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    try {
      const comm = readFileSync(`/proc/${pid}/task/${tid}/comm`, 'utf8').trim();
      const onCpu = Number(readFileSync(`/proc/${pid}/task/${tid}/schedstat`, 'utf8').split(' ')[0]) / 1000;
      // Fields after "(comm) ": state is the first, utime the 12th, stime the 13th (proc(5)).
      const fields = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
      const kind = threadKind(comm);
      byKind.set(kind, (byKind.get(kind) ?? 0) + onCpu);
      user += Number(fields[11]);
      system += Number(fields[12]);
    } catch {
      // a thread that ended between the listing and the read
    }
  }
  return { byKind, userMicros: user * TICK_MICROS, systemMicros: system * TICK_MICROS };
}

/** What happened between two readings, per flow. A thread that ended in between is left out. */
export function perFlow(before: ThreadCpu, after: ThreadCpu, flows: number): ThreadCpu {
  const byKind = new Map<string, number>();
  for (const [kind, micros] of after.byKind) byKind.set(kind, (micros - (before.byKind.get(kind) ?? 0)) / flows);
  return { byKind, userMicros: (after.userMicros - before.userMicros) / flows, systemMicros: (after.systemMicros - before.systemMicros) / flows };
}
