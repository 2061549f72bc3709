import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    // Bounds, not targets: on a busy machine (two cores, Chromium, Redis nodes) a flow that takes
    // two seconds alone may take ten. Conditions are waited for; timing lives in the benchmarks.
    testTimeout: 60_000,
    hookTimeout: 90_000,
    expect: { poll: { timeout: 15_000, interval: 50 } },
    // Browser and multi-process tests share two cores; keep files from starving each other.
    maxWorkers: 2,
  },
});
