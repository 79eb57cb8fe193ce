// A tiny hand-written Prometheus text-format (0.0.4) writer. Hand-written rather than
// prom-client so names, label order and number formatting match the engines' Python
// prometheus_client output exactly ("1.0", label order as declared, no _created series), and
// so every simulator has its own state (no global registry).

/** Label values in declared label order. */
export type LabelValues = readonly string[];

/** Formats a number the way Python's prometheus_client does (floats: 1 -> "1.0"). */
export function formatValue(v: number): string {
  if (v === Infinity) return '+Inf';
  if (v === -Infinity) return '-Inf';
  if (Number.isNaN(v)) return 'NaN';
  if (Number.isInteger(v) && Math.abs(v) < 1e16) return `${v}.0`;
  return String(v);
}

function escapeLabel(v: string): string {
  return v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');
}

function labelText(names: readonly string[], values: LabelValues, extra?: [string, string]): string {
  const parts: string[] = [];
  for (let i = 0; i < names.length; i++) parts.push(`${names[i]}="${escapeLabel(values[i] ?? '')}"`);
  if (extra) parts.push(`${extra[0]}="${escapeLabel(extra[1])}"`);
  return parts.length ? `{${parts.join(',')}}` : '';
}

/** Something that writes one metric family into the exposition. */
export interface Family {
  render(out: string[]): void;
}

/** One series of a counter or gauge, bound once so hot paths skip the label lookup. */
export class ScalarSeries {
  constructor(
    readonly values: LabelValues,
    public v = 0,
  ) {}

  /** Adds `by`. */
  inc(by = 1): void {
    this.v += by;
  }

  /** Sets the value. */
  set(v: number): void {
    this.v = v;
  }
}

/** A counter or gauge family with fixed label names; series are created on first use. */
export class Scalar implements Family {
  private readonly series = new Map<string, ScalarSeries>();
  constructor(
    readonly name: string,
    private readonly help: string,
    private readonly type: 'counter' | 'gauge',
    private readonly labelNames: readonly string[],
  ) {}

  /** Adds `by` to the series with these label values. */
  inc(values: LabelValues, by = 1): void {
    this.child(values).inc(by);
  }

  /** Sets the series with these label values. */
  set(values: LabelValues, v: number): void {
    this.child(values).set(v);
  }

  /** Drops one series. */
  delete(values: LabelValues): void {
    this.series.delete(values.join('\u0000'));
  }

  /** The series with these label values (created at 0 and exposed from now on). */
  child(values: LabelValues): ScalarSeries {
    const key = values.join('\u0000');
    let s = this.series.get(key);
    if (!s) {
      s = new ScalarSeries(values);
      this.series.set(key, s);
    }
    return s;
  }

  render(out: string[]): void {
    out.push(`# HELP ${this.name} ${this.help}`, `# TYPE ${this.name} ${this.type}`);
    for (const s of this.series.values()) out.push(`${this.name}${labelText(this.labelNames, s.values)} ${formatValue(s.v)}`);
  }
}

/** One series of a histogram, bound once so hot paths skip the label lookup. */
export class HistogramSeries {
  /** Observations per bucket, not cumulative (rendering accumulates): one increment per observation. */
  readonly counts: number[];
  sum = 0;
  count = 0;
  constructor(
    readonly values: LabelValues,
    private readonly buckets: readonly number[],
  ) {
    this.counts = buckets.map(() => 0);
  }

  /** Records one observation. */
  observe(v: number): void {
    const b = this.buckets;
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

/** A histogram family with fixed buckets and label names. */
export class Histogram implements Family {
  private readonly series = new Map<string, HistogramSeries>();
  constructor(
    readonly name: string,
    private readonly help: string,
    private readonly buckets: readonly number[],
    private readonly labelNames: readonly string[],
  ) {}

  /** Records one observation. */
  observe(values: LabelValues, v: number): void {
    this.child(values).observe(v);
  }

  /** Creates the series (all zero) so it is exposed before the first observation, as the engines do. */
  touch(values: LabelValues): void {
    this.child(values);
  }

  /** The series with these label values (created empty and exposed from now on). */
  child(values: LabelValues): HistogramSeries {
    const key = values.join('\u0000');
    let s = this.series.get(key);
    if (!s) {
      s = new HistogramSeries(values, this.buckets);
      this.series.set(key, s);
    }
    return s;
  }

  render(out: string[]): void {
    out.push(`# HELP ${this.name} ${this.help}`, `# TYPE ${this.name} histogram`);
    for (const s of this.series.values()) {
      let cumulative = 0;
      for (let i = 0; i < this.buckets.length; i++) {
        cumulative += s.counts[i];
        out.push(`${this.name}_bucket${labelText(this.labelNames, s.values, ['le', formatValue(this.buckets[i])])} ${formatValue(cumulative)}`);
      }
      out.push(`${this.name}_bucket${labelText(this.labelNames, s.values, ['le', '+Inf'])} ${formatValue(s.count)}`);
      out.push(`${this.name}_count${labelText(this.labelNames, s.values)} ${formatValue(s.count)}`);
      out.push(`${this.name}_sum${labelText(this.labelNames, s.values)} ${formatValue(s.sum)}`);
    }
  }
}

/** Renders families in order into one exposition text. */
export function renderFamilies(families: readonly Family[]): string {
  const out: string[] = [];
  for (const f of families) f.render(out);
  return `${out.join('\n')}\n`;
}

/** vLLM's build_1_2_5_buckets: 1, 2, 5, 10, 20, 50, ... up to and including max. */
export function buckets125(max: number): number[] {
  const out: number[] = [];
  for (let exp = 1; ; exp *= 10) {
    for (const m of [1, 2, 5]) {
      const v = m * exp;
      if (v > max) return out;
      out.push(v);
    }
  }
}
