import { Histogram, Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';

import { LabelledHistogram } from './labelled-histogram.js';

const buckets = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];
const labelNames = ['route', 'method', 'status'] as const;

function pair() {
  const theirs = new Registry();
  const ours = new Registry();
  const reference = new Histogram({ name: 'h_seconds', help: 'help text', labelNames, buckets, registers: [theirs] });
  const histogram = new LabelledHistogram('h_seconds', 'help text', labelNames, buckets, ours);
  return { theirs, ours, reference, histogram };
}

describe('LabelledHistogram', () => {
  it("exposes the same text and JSON as prom-client's Histogram for the same observations", async () => {
    const { theirs, ours, reference, histogram } = pair();
    const observations: [Record<(typeof labelNames)[number], string>, number][] = [
      [{ route: '/q/:handle', method: 'GET', status: '2xx' }, 0.0031],
      [{ route: '/q/:handle', method: 'GET', status: '2xx' }, 0.005], // on a bound: counted in it
      [{ route: '/q/:handle', method: 'POST', status: '4xx' }, 0.3],
      [{ route: '/auth', method: 'GET', status: '3xx' }, 7], // above every bound: +Inf only
      [{ route: '/q/:handle', method: 'GET', status: '2xx' }, 0.0500001],
      [{ route: 'a "quoted"\\path', method: 'GET', status: '2xx' }, 0],
    ];
    for (const [labels, value] of observations) {
      reference.observe(labels, value);
      histogram.observe(labels, value);
    }
    expect(await ours.metrics()).toBe(await theirs.metrics());
    // JSON too, apart from prom-client's exemplar slots (null or undefined: no exemplars here).
    const values = async (registry: Registry) =>
      (await registry.getMetricsAsJSON()).flatMap((m) => m.values.map((v) => ({ labels: v.labels, value: v.value, metricName: (v as { metricName?: string }).metricName })));
    expect(await values(ours)).toEqual(await values(theirs));
    expect(await ours.metrics()).toContain('h_seconds_bucket{le="0.005",route="/q/:handle",method="GET",status="2xx"} 2');
  });

  it('counts series apart by every label', async () => {
    const { ours, histogram } = pair();
    histogram.observe({ route: '/a', method: 'GET', status: '2xx' }, 0.001);
    histogram.observe({ route: '/a', method: 'GET', status: '5xx' }, 0.001);
    histogram.observe({ route: '/a', method: 'GET', status: '2xx' }, 0.001);
    const text = await ours.metrics();
    expect(text).toContain('h_seconds_count{route="/a",method="GET",status="2xx"} 2');
    expect(text).toContain('h_seconds_count{route="/a",method="GET",status="5xx"} 1');
  });

  it('empties on reset, as the registry resets its metrics', async () => {
    const { ours, histogram } = pair();
    histogram.observe({ route: '/a', method: 'GET', status: '2xx' }, 0.001);
    ours.resetMetrics();
    expect(await ours.metrics()).not.toContain('h_seconds_count');
  });

  it('refuses a value that is not a finite number, and buckets that do not increase', () => {
    const { histogram } = pair();
    expect(() => histogram.observe({ route: '/a', method: 'GET', status: '2xx' }, Number.NaN)).toThrow(/finite/);
    expect(() => new LabelledHistogram('x', 'x', ['route'], [1, 1], new Registry())).toThrow(/increase/);
    expect(() => new LabelledHistogram('x', 'x', ['le'], [1], new Registry())).toThrow(/reserved/);
  });
});
