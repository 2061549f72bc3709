import type { Registry } from 'prom-client';

type Labels<Name extends string> = Record<Name, string>;

interface Series {
  labels: Record<string, string>;
  /** Observations per bucket (not cumulative); the last slot counts those above every bound. */
  counts: Float64Array;
  sum: number;
  count: number;
}

/**
 * A Prometheus histogram with labels, exposed through prom-client's registry in the same text
 * as prom-client's own Histogram (held to it in labelled-histogram.test.ts), for the one metric
 * observed on every request. prom-client's `observe` validates the labels, hashes them into a
 * sorted string and keys its buckets by the bound's string, a few microseconds a call; this
 * finds the series by the label values joined, and its bucket by index. The label values must
 * come from a fixed set (as every label here does), never from request input.
 */
export class LabelledHistogram<Name extends string> {
  readonly type = 'histogram';
  readonly aggregator = 'sum';
  readonly #labelNames: readonly Name[];
  readonly #bounds: readonly number[];
  #series = new Map<string, Series>();

  constructor(
    readonly name: string,
    readonly help: string,
    labelNames: readonly Name[],
    buckets: readonly number[],
    registry: Registry,
  ) {
    if (labelNames.includes('le' as Name)) throw new Error('le is a reserved label name');
    if (buckets.some((bound, i) => i > 0 && bound <= (buckets[i - 1] as number))) throw new Error(`${name}: buckets must increase`);
    this.#labelNames = labelNames;
    this.#bounds = buckets;
    registry.registerMetric(this as never);
  }

  observe(labels: Labels<Name>, seconds: number): void {
    if (!Number.isFinite(seconds)) throw new TypeError(`${this.name}: not a finite number: ${seconds}`);
    let key = '';
    for (const label of this.#labelNames) key += `${labels[label]}\u0000`;
    let series = this.#series.get(key);
    if (!series) {
      const own: Record<string, string> = {};
      for (const label of this.#labelNames) own[label] = labels[label];
      series = { labels: own, counts: new Float64Array(this.#bounds.length + 1), sum: 0, count: 0 };
      this.#series.set(key, series);
    }
    let bucket = 0;
    while (bucket < this.#bounds.length && seconds > (this.#bounds[bucket] as number)) bucket += 1;
    series.counts[bucket] = (series.counts[bucket] as number) + 1;
    series.sum += seconds;
    series.count += 1;
  }

  /** What prom-client's registry reads, in its Histogram's order: cumulative buckets (`le` first), +Inf, sum, count. */
  get() {
    const values: { labels: Record<string, string | number>; value: number; metricName: string }[] = [];
    for (const series of this.#series.values()) {
      let cumulative = 0;
      this.#bounds.forEach((bound, i) => {
        cumulative += series.counts[i] as number;
        values.push({ labels: { le: bound, ...series.labels }, value: cumulative, metricName: `${this.name}_bucket` });
      });
      values.push({ labels: { le: '+Inf', ...series.labels }, value: series.count, metricName: `${this.name}_bucket` });
      values.push({ labels: { ...series.labels }, value: series.sum, metricName: `${this.name}_sum` });
      values.push({ labels: { ...series.labels }, value: series.count, metricName: `${this.name}_count` });
    }
    return { name: this.name, help: this.help, type: this.type, values, aggregator: this.aggregator };
  }

  reset(): void {
    this.#series = new Map();
  }
}
