import fs from 'node:fs';

import { Registry } from 'prom-client';
import { afterEach, describe, expect, it, vi } from 'vitest';

import { collectProcessMetrics, LEFT_OUT } from './process-metrics.js';

function value(text: string, name: string): number {
  const line = text.split('\n').find((l) => l.startsWith(`${name} `));
  if (!line) throw new Error(`${name} is not in the exposition`);
  return Number(line.split(' ')[1]);
}

describe('collectProcessMetrics', () => {
  const opened: number[] = [];
  afterEach(() => {
    vi.restoreAllMocks();
    for (const fd of opened.splice(0)) fs.closeSync(fd);
  });

  it("keeps prom-client's process metrics, without the handle and resource counts", async () => {
    const registry = new Registry();
    collectProcessMetrics(registry, 'qrid_');
    const text = await registry.metrics();
    for (const name of ['qrid_process_cpu_seconds_total', 'qrid_process_resident_memory_bytes', 'qrid_nodejs_eventloop_lag_max_seconds', 'qrid_nodejs_heap_size_used_bytes', 'qrid_nodejs_active_requests_total', 'qrid_process_open_fds']) {
      expect(text).toContain(`# TYPE ${name} `);
    }
    for (const name of LEFT_OUT) expect(text).not.toContain(`qrid_${name}`);
  });

  it('counts the open file descriptors, as they open', async () => {
    const registry = new Registry();
    collectProcessMetrics(registry, 'qrid_');
    const before = value(await registry.metrics(), 'qrid_process_open_fds');
    expect(before).toBeGreaterThan(2);
    for (let i = 0; i < 25; i += 1) opened.push(fs.openSync('/dev/null', 'r'));
    // Other work in this process may open or close a descriptor meanwhile; 25 stands out.
    expect(value(await registry.metrics(), 'qrid_process_open_fds') - before).toBeGreaterThanOrEqual(23);
  });

  it('never lists every handle or reads the descriptor table on the event loop while scraping', async () => {
    const registry = new Registry();
    collectProcessMetrics(registry, 'qrid_');
    const walks = [
      vi.spyOn(process as unknown as { _getActiveHandles: () => unknown[] }, '_getActiveHandles'),
      vi.spyOn(process, 'getActiveResourcesInfo'),
      vi.spyOn(fs, 'readdirSync'),
    ];
    await registry.metrics();
    expect(walks.map((walk) => walk.mock.calls.length)).toEqual([0, 0, 0]);
  });
});
