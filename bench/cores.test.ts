import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

import { describe, expect, it } from 'vitest';

import { allowedCpus, onCpus, parseCpuList, splitCores } from './cores.js';

describe('parseCpuList', () => {
  it('reads ranges and single CPUs as the kernel prints them', () => {
    expect(parseCpuList('0-1')).toEqual([0, 1]);
    expect(parseCpuList('0,2-4,7\n')).toEqual([0, 2, 3, 4, 7]);
  });

  it('names what it could not read', () => {
    expect(() => parseCpuList('0-1,x')).toThrow('not a CPU list: "0-1,x"');
  });
});

describe('splitCores', () => {
  it('gives the server the last CPU and the load generator the others', () => {
    expect(splitCores([0, 1])).toEqual({ server: '1', generator: '0' });
    expect(splitCores([2, 3, 5])).toEqual({ server: '5', generator: '2,3' });
  });

  it('does not split a single CPU', () => {
    expect(splitCores([0])).toEqual({ none: 'only 1 CPU allowed' });
  });
});

describe('allowedCpus', () => {
  it("reads this process's affinity as taskset reports it", () => {
    // "pid 123's current affinity list: 0,1"
    const reported = execFileSync('taskset', ['--cpu-list', '--pid', String(process.pid)], { encoding: 'utf8' });
    expect(allowedCpus()).toEqual(parseCpuList(reported.slice(reported.lastIndexOf(':') + 1)));
  });
});

describe('onCpus and pinThisProcess', () => {
  it('adds no prefix when no CPUs are given', () => {
    expect(onCpus(undefined)).toEqual([]);
  });

  it('starts a child that may run on the given CPU only', () => {
    const first = String(allowedCpus()[0]);
    const [command, ...args] = onCpus(first);
    const status = execFileSync(command as string, [...args, 'cat', '/proc/self/status'], { encoding: 'utf8' });
    expect(/^Cpus_allowed_list:\s*(\S+)$/m.exec(status)?.[1]).toBe(first);
  });

  it('pins every thread of a process, the ones it starts later included', () => {
    const last = String(allowedCpus().at(-1));
    // In a child (node strips cores.ts's types itself), so this test process keeps its CPUs:
    // the child pins itself, then starts a worker thread and reads each of its threads' affinity.
    const script = `
      import { pinThisProcess } from ${JSON.stringify(fileURLToPath(new URL('./cores.ts', import.meta.url)))};
      import { readdirSync, readFileSync } from 'node:fs';
      import { Worker } from 'node:worker_threads';
      pinThisProcess(${JSON.stringify(last)});
      const worker = new Worker('setInterval(() => {}, 1000)', { eval: true });
      await new Promise((resolve) => worker.once('online', resolve));
      const lists = readdirSync('/proc/self/task').map((tid) => /^Cpus_allowed_list:\\s*(\\S+)$/m.exec(readFileSync('/proc/self/task/' + tid + '/status', 'utf8'))[1]);
      process.stdout.write(JSON.stringify(lists));
      process.exit(0);
    `;
    const lists = JSON.parse(execFileSync(process.execPath, ['--experimental-strip-types', '--input-type=module', '--eval', script], { encoding: 'utf8' })) as string[];
    expect(lists.length).toBeGreaterThan(2);
    expect(new Set(lists)).toEqual(new Set([last]));
  });
});
