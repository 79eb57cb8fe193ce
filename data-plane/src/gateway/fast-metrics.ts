// Hot-path metrics that prom-client renders: a labelled counter, gauge and histogram whose bound
// children update plain numbers. prom-client's own children validate and hash their labels on
// every inc()/observe() (its histogram observe was 3-4% of the gateway's CPU in the profile);
// these do that once, when the child is bound. Each metric registers itself in a prom-client
// Registry as a custom metric, so /metrics text is what prom-client prints for its own types.
import type { Registry } from 'prom-client';

/** One sample line as prom-client's Registry reads it from a metric's get(). */
interface Sample {
  value: number;
  labels: Record<string, string | number>;
  metricName?: string;
  sharedLabels?: Record<string, string>;
}

/** What prom-client's Registry reads from a registered metric. */
interface Rendered {
  name: string;
  help: string;
  type: 'counter' | 'gauge' | 'histogram';
  aggregator: 'sum';
  values: Sample[];
}

interface Common {
  name: string;
  help: string;
  labelNames: readonly string[];
  registry: Registry;
}

/** A bound counter child: only ever goes up. */
export interface CounterChild {
  inc(n?: number): void;
}

/** A bound gauge child. */
export interface GaugeChild {
  inc(n?: number): void;
  dec(n?: number): void;
  set(v: number): void;
}

/** A bound histogram child. */
export interface HistogramChild {
  observe(v: number): void;
}

function labelsOf(names: readonly string[], values: readonly string[]): Record<string, string> {
  if (values.length !== names.length) throw new Error(`expected ${names.length} label values (${names.join(', ')}), got ${values.length}`);
  const out: Record<string, string> = {};
  for (let i = 0; i < names.length; i++) out[names[i]] = values[i];
  return out;
}

class ScalarChild implements CounterChild, GaugeChild {
  value = 0;
  constructor(readonly labels: Record<string, string>) {}
  inc(n = 1): void {
    this.value += n;
  }
  dec(n = 1): void {
    this.value -= n;
  }
  set(v: number): void {
    this.value = v;
  }
}

/** Base of the counter and gauge: children keyed by their label values. */
abstract class Scalar {
  readonly name: string;
  readonly help: string;
  readonly aggregator = 'sum' as const;
  abstract readonly type: 'counter' | 'gauge';
  private readonly labelNames: readonly string[];
  private readonly children = new Map<string, ScalarChild>();

  constructor(o: Common) {
    this.name = o.name;
    this.help = o.help;
    this.labelNames = o.labelNames;
    (o.registry as unknown as { registerMetric(m: unknown): void }).registerMetric(this);
  }

  protected bind(values: readonly string[]): ScalarChild {
    const key = values.join('\u0000');
    let c = this.children.get(key);
    if (c === undefined) {
      c = new ScalarChild(labelsOf(this.labelNames, values));
      this.children.set(key, c);
    }
    return c;
  }

  /** prom-client's collection hook. */
  async get(): Promise<Rendered> {
    const values: Sample[] = [];
    for (const c of this.children.values()) values.push({ value: c.value, labels: c.labels });
    return { name: this.name, help: this.help, type: this.type, aggregator: this.aggregator, values };
  }

  /** Forgets every child (tests). */
  reset(): void {
    this.children.clear();
  }
}

/** A labelled counter; bind a child once with labels(), then inc() costs an addition. */
export class FastCounter extends Scalar {
  readonly type = 'counter' as const;
  /** The child of these label values (created on first use). */
  labels(...values: string[]): CounterChild {
    return this.bind(values);
  }
}

/** A labelled gauge; bind a child once with labels(). */
export class FastGauge extends Scalar {
  readonly type = 'gauge' as const;
  /** The child of these label values (created on first use). */
  labels(...values: string[]): GaugeChild {
    return this.bind(values);
  }
}

class BucketChild implements HistogramChild {
  readonly counts: Float64Array;
  sum = 0;
  count = 0;
  constructor(
    readonly labels: Record<string, string>,
    private readonly bounds: Float64Array,
  ) {
    this.counts = new Float64Array(bounds.length);
  }
  observe(v: number): void {
    if (!Number.isFinite(v)) return;
    const b = this.bounds;
    // Buckets are few (~12-15) and most observations fall in the low ones: a linear scan wins.
    for (let i = 0; i < b.length; i++) {
      if (v <= b[i]) {
        this.counts[i]++;
        break;
      }
    }
    this.sum += v;
    this.count++;
  }
}

/** A labelled histogram with fixed upper bounds; `le="+Inf"` is the count, as Prometheus wants. */
export class FastHistogram {
  readonly name: string;
  readonly help: string;
  readonly type = 'histogram' as const;
  readonly aggregator = 'sum' as const;
  private readonly labelNames: readonly string[];
  private readonly bounds: Float64Array;
  private readonly children = new Map<string, BucketChild>();

  constructor(o: Common & { buckets: readonly number[] }) {
    this.name = o.name;
    this.help = o.help;
    this.labelNames = o.labelNames;
    const sorted = [...o.buckets].sort((a, b) => a - b);
    if (sorted.length === 0 || sorted.some((x, i) => !Number.isFinite(x) || (i > 0 && x === sorted[i - 1]))) {
      throw new Error(`histogram ${o.name}: buckets must be distinct finite numbers`);
    }
    this.bounds = Float64Array.from(sorted);
    (o.registry as unknown as { registerMetric(m: unknown): void }).registerMetric(this);
  }

  /** The child of these label values (created on first use). */
  labels(...values: string[]): HistogramChild {
    const key = values.join('\u0000');
    let c = this.children.get(key);
    if (c === undefined) {
      c = new BucketChild(labelsOf(this.labelNames, values), this.bounds);
      this.children.set(key, c);
    }
    return c;
  }

  /** prom-client's collection hook: cumulative buckets, +Inf, sum and count per child. */
  async get(): Promise<Rendered> {
    const values: Sample[] = [];
    const bucket = `${this.name}_bucket`;
    for (const c of this.children.values()) {
      let acc = 0;
      for (let i = 0; i < this.bounds.length; i++) {
        acc += c.counts[i];
        values.push({ value: acc, labels: { le: this.bounds[i] }, metricName: bucket, ...shared(c.labels) });
      }
      values.push({ value: c.count, labels: { le: '+Inf' }, metricName: bucket, ...shared(c.labels) });
      values.push({ value: c.sum, labels: {}, metricName: `${this.name}_sum`, ...shared(c.labels) });
      values.push({ value: c.count, labels: {}, metricName: `${this.name}_count`, ...shared(c.labels) });
    }
    return { name: this.name, help: this.help, type: this.type, aggregator: this.aggregator, values };
  }

  /** Forgets every child (tests). */
  reset(): void {
    this.children.clear();
  }
}

/** prom-client prints `sharedLabels` after the value's own labels (`{le="0.1",model="m"}`). */
function shared(labels: Record<string, string>): { sharedLabels: Record<string, string> } {
  return { sharedLabels: labels };
}
