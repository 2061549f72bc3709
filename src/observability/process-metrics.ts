import { readdir } from 'node:fs/promises';

import { Gauge, type Registry, collectDefaultMetrics } from 'prom-client';

/**
 * prom-client's process metrics, without the ones whose collection walks every open
 * connection on the event loop. With 10,000 waiting pages a scrape held every request up for
 * about 20 ms (docs/benchmarks.md, round 18): `process_open_fds` read /proc/self/fd
 * synchronously, and the active handle and resource counts list every socket, twice each.
 * The open descriptors are still counted, off the event loop; the handle and resource counts
 * are left out (`qrid_open_event_streams` counts the waiting pages).
 */
export const LEFT_OUT = ['nodejs_active_handles', 'nodejs_active_handles_total', 'nodejs_active_resources', 'nodejs_active_resources_total'] as const;

export function collectProcessMetrics(registry: Registry, prefix: string): void {
  collectDefaultMetrics({ register: registry, prefix });
  for (const name of [...LEFT_OUT, 'process_open_fds']) registry.removeSingleMetric(`${prefix}${name}`);
  if (process.platform !== 'linux') return;
  new Gauge({
    name: `${prefix}process_open_fds`,
    help: 'Number of open file descriptors.',
    registers: [registry],
    // Read in libuv's thread pool; the directory's own descriptor is open while it is read.
    async collect() {
      try {
        this.set((await readdir('/proc/self/fd')).length - 1);
      } catch {
        // Nothing to report where /proc cannot be read.
      }
    },
  });
}
