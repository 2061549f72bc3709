import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

/**
 * The setup for the throughput figures: the server on one core, the load generator on
 * the other. Left to the scheduler, a server spills onto the generator's core whenever the
 * generator leaves part of it idle (its GC and compiler threads, or the main thread itself
 * when both are runnable), and the floor, whose client does half the requests per flow, leaves
 * more of it idle than qrid's does: unpinned, the two servers were not each measured on one
 * core (docs/benchmarks.md, round 16).
 */
export interface CoreSplit {
  /** taskset's list for the server under load: the last allowed CPU. */
  server: string;
  /** taskset's list for everything else (the load generator, the bench's Redis): the rest. */
  generator: string;
}

/** Parses a kernel CPU list ("0-1", "0,2-3"), as /proc/<pid>/status prints Cpus_allowed_list. */
export function parseCpuList(list: string): number[] {
  const cpus: number[] = [];
  for (const part of list.trim().split(',')) {
    const match = /^(\d+)(?:-(\d+))?$/.exec(part);
    if (!match) throw new Error(`not a CPU list: ${JSON.stringify(list)}`);
    const first = Number(match[1]);
    const last = match[2] === undefined ? first : Number(match[2]);
    for (let cpu = first; cpu <= last; cpu += 1) cpus.push(cpu);
  }
  return cpus;
}

/** The split of the CPUs given, or why there is none (fewer than two). */
export function splitCores(allowed: readonly number[]): CoreSplit | { none: string } {
  if (allowed.length < 2) return { none: `only ${allowed.length} CPU allowed` };
  return { server: String(allowed.at(-1)), generator: allowed.slice(0, -1).join(',') };
}

/** The split for this process's CPUs, or why there is none (no taskset, fewer than two CPUs). */
export function coreSplit(): CoreSplit | { none: string } {
  return hasTaskset() ? splitCores(allowedCpus()) : { none: 'taskset (util-linux) is not installed' };
}

/**
 * What a tool's `--pinned` asks for: the split for this process's CPUs, with this process (the
 * load generator) pinned to its share; an error that says why when there is no split.
 */
export function pinnedSplit(): CoreSplit {
  const split = coreSplit();
  if ('none' in split) throw new Error(`cannot give the server a core of its own: ${split.none}`);
  pinThisProcess(split.generator);
  return split;
}

/** The CPUs this process may run on (its affinity, which a container may narrow). */
export function allowedCpus(): number[] {
  const line = /^Cpus_allowed_list:\s*(\S+)$/m.exec(readFileSync('/proc/self/status', 'utf8'));
  if (!line?.[1]) throw new Error('/proc/self/status has no Cpus_allowed_list');
  return parseCpuList(line[1]);
}

/** Pins every thread of this process (and the threads it starts later) to `cpus`. */
export function pinThisProcess(cpus: string): void {
  execFileSync('taskset', ['--all-tasks', '--cpu-list', '--pid', cpus, String(process.pid)], { stdio: 'ignore' });
}

/** The command prefix that starts a child on `cpus`; none when no CPUs are given (the child shares this process's). */
export function onCpus(cpus: string | undefined): string[] {
  return cpus === undefined ? [] : ['taskset', '--cpu-list', cpus];
}

/** Whether taskset (util-linux) is installed. */
export function hasTaskset(): boolean {
  try {
    execFileSync('taskset', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}
