import type { Metric, Registry } from 'prom-client';

/**
 * Counters and histograms for the request and statement paths. prom-client's label children
 * validate and hash their labels on every call; these children are plain numbers bound once, so
 * reporting is an addition (and, for a histogram, a short scan of the bounds), and the text is
 * built only at scrape time, by prom-client's registry, from `get()`.
 */
interface Spec {
  name: string;
  help: string;
  labelNames: readonly string[];
}

type Labels = Record<string, string>;
interface Value { labels: Labels; value: number; metricName?: string }

abstract class FastMetric<C extends { labels: Labels }> {
  readonly name: string;
  readonly help: string;
  readonly labelNames: readonly string[];
  protected readonly children = new Map<string, C>();

  constructor(registry: Registry, spec: Spec) {
    this.name = spec.name;
    this.help = spec.help;
    this.labelNames = spec.labelNames;
    registry.registerMetric(this as unknown as Metric);
  }

  /** The child for these label values (in `labelNames` order), created on first use: keep it. */
  child(...values: string[]): C {
    const key = values.join('\0');
    let c = this.children.get(key);
    if (c === undefined) {
      c = this.create(Object.fromEntries(this.labelNames.map((n, i) => [n, values[i] ?? ''])));
      this.children.set(key, c);
    }
    return c;
  }

  protected abstract create(labels: Labels): C;

  /** Counters only go up; the registry's reset (used between scrapes of gauges) leaves them. */
  reset(): void {}
}

class CounterChild {
  value = 0;
  constructor(readonly labels: Labels) {}
  inc(): void {
    this.value += 1;
  }
}

export class FastCounter extends FastMetric<CounterChild> {
  protected create(labels: Labels): CounterChild {
    return new CounterChild(labels);
  }

  async get(): Promise<{ name: string; help: string; type: 'counter'; aggregator: 'sum'; values: Value[] }> {
    return { name: this.name, help: this.help, type: 'counter', aggregator: 'sum', values: [...this.children.values()].map((c) => ({ labels: c.labels, value: c.value })) };
  }
}

class HistogramChild {
  readonly counts: Float64Array;
  sum = 0;
  count = 0;
  constructor(readonly labels: Labels, private readonly bounds: readonly number[]) {
    this.counts = new Float64Array(bounds.length);
  }
  observe(v: number): void {
    this.sum += v;
    this.count += 1;
    for (let i = 0; i < this.bounds.length; i++) {
      if (v <= (this.bounds[i] as number)) {
        (this.counts[i] as number) += 1;
        return;
      }
    }
  }
}

export class FastHistogram extends FastMetric<HistogramChild> {
  private readonly buckets: readonly number[];

  constructor(registry: Registry, spec: Spec & { buckets: readonly number[] }) {
    super(registry, spec);
    this.buckets = spec.buckets;
  }

  protected create(labels: Labels): HistogramChild {
    return new HistogramChild(labels, this.buckets);
  }

  async get(): Promise<{ name: string; help: string; type: 'histogram'; aggregator: 'sum'; values: Value[] }> {
    const values: Value[] = [];
    for (const c of this.children.values()) {
      let cumulative = 0;
      this.buckets.forEach((le, i) => {
        cumulative += c.counts[i] as number;
        values.push({ labels: { ...c.labels, le: String(le) }, value: cumulative, metricName: `${this.name}_bucket` });
      });
      values.push({ labels: { ...c.labels, le: '+Inf' }, value: c.count, metricName: `${this.name}_bucket` });
      values.push({ labels: c.labels, value: c.sum, metricName: `${this.name}_sum` });
      values.push({ labels: c.labels, value: c.count, metricName: `${this.name}_count` });
    }
    return { name: this.name, help: this.help, type: 'histogram', aggregator: 'sum', values };
  }
}
