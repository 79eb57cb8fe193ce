// Any engine metric, reduced to one number per family and scrape, so a policy can scale on a
// name the normalizer does not know (vllm:iteration_tokens_total, a GPU gauge, …). Pure: two
// parsed scrapes of one process in, values out. Series of one family add up (labels such as
// vLLM's `engine` split one endpoint's value). Keys:
//   gauge (or untyped)        `name`             the value
//   counter                   `name`             increase per second since the previous scrape
//   histogram                 `name`             observed sum per second (tokens/s for iteration_tokens_total)
//                             `name@count`       observations per second
//                             `name@mean`        mean observation since the previous scrape (0 without any)
//                             `name@p50|p90|p95|p99`  quantile of the observations since the previous scrape
// Counters and histograms need a previous scrape: the first scrape of a process has only gauges.
// With `match` (a binding's additionalMatchLabels) only series whose labels carry every one of
// those labels with that value count; a family without such a series is left out (not 0). A
// series' labels are its own over the replica's (`targetLabels`: the instance/pod labels, as a
// Prometheus target label set), so `modelinfer.matrixinfer.ai/role: server` selects replicas,
// as MatrixInfer meant it, and `gpu: "0"` selects series.
import type { PromSample } from './prometheus.js';

/** Metric type from a `# TYPE` line. */
export type PromType = 'counter' | 'gauge' | 'histogram' | 'summary' | 'untyped';

/** The histogram quantiles published for every histogram family. */
export const QUANTILES = [50, 90, 95, 99] as const;

/** Family types declared by `# TYPE name type` lines of an exposition. */
export function parsePrometheusTypes(text: string): Map<string, PromType> {
  const out = new Map<string, PromType>();
  for (const m of text.matchAll(/^# TYPE (\S+) (counter|gauge|histogram|summary|untyped)\s*$/gm)) out.set(m[1], m[2] as PromType);
  return out;
}

/** One parsed scrape: its samples, declared types and time. */
export interface ParsedScrape {
  samples: readonly PromSample[];
  types: ReadonlyMap<string, PromType>;
  timeMs: number;
}

interface Hist {
  sum: number;
  count: number;
  buckets: Map<number, number>;
}

/** Labels a series must carry (label -> exact value); empty matches every series. */
export type LabelMatch = Readonly<Record<string, string>>;

/** True when the series `labels` over `targetLabels` carry every label of `match` with exactly that value. */
export function matchesLabels(labels: Readonly<Record<string, string>>, match: LabelMatch | undefined, targetLabels: Readonly<Record<string, string>> = {}): boolean {
  if (match === undefined) return true;
  for (const k in match) if ((labels[k] ?? targetLabels[k]) !== match[k]) return false;
  return true;
}

// Collapses samples into per-family totals: scalar families by name, histograms by family.
function fold(s: ParsedScrape, match: LabelMatch | undefined, targetLabels: Readonly<Record<string, string>>): { scalars: Map<string, number>; hists: Map<string, Hist> } {
  const scalars = new Map<string, number>();
  const hists = new Map<string, Hist>();
  const hist = (name: string): Hist => {
    let h = hists.get(name);
    if (!h) hists.set(name, (h = { sum: 0, count: 0, buckets: new Map() }));
    return h;
  };
  for (const x of s.samples) {
    if (!Number.isFinite(x.value) && x.value !== Infinity) continue;
    if (!matchesLabels(x.labels, match, targetLabels)) continue;
    const base = /^(.*)_(bucket|sum|count)$/.exec(x.name);
    if (base && s.types.get(base[1]) === 'histogram') {
      const h = hist(base[1]);
      if (base[2] === 'sum') h.sum += x.value;
      else if (base[2] === 'count') h.count += x.value;
      else {
        const le = x.labels.le === '+Inf' ? Infinity : Number(x.labels.le);
        if (!Number.isNaN(le)) h.buckets.set(le, (h.buckets.get(le) ?? 0) + x.value);
      }
      continue;
    }
    const t = s.types.get(x.name);
    if (t === 'histogram' || t === 'summary' || (base && s.types.get(base[1]) === 'summary')) continue;
    if (x.labels.quantile !== undefined) continue;
    scalars.set(x.name, (scalars.get(x.name) ?? 0) + x.value);
  }
  return { scalars, hists };
}

function isCounter(types: ReadonlyMap<string, PromType>, name: string): boolean {
  const t = types.get(name);
  if (t === 'counter') return true;
  // prometheus_client declares counter `x` and writes `x_total`.
  if (name.endsWith('_total') && types.get(name.slice(0, -'_total'.length)) === 'counter') return true;
  return t === undefined && name.endsWith('_total');
}

// An increase that went down means the process restarted: the new total is the increase.
function increase(prev: number, cur: number): number {
  return cur >= prev ? cur - prev : cur;
}

/** Quantile q (0-1) of the observations between two cumulative bucket sets, Prometheus' histogram_quantile interpolation. */
export function bucketQuantile(q: number, buckets: ReadonlyMap<number, number>): number {
  const bounds = [...buckets.keys()].sort((a, b) => a - b);
  if (bounds.length === 0) return 0;
  const total = buckets.get(bounds[bounds.length - 1]) ?? 0;
  if (!(total > 0)) return 0;
  const rank = q * total;
  let prevBound = 0;
  let prevCount = 0;
  for (const b of bounds) {
    const c = buckets.get(b) ?? 0;
    if (c >= rank) {
      // The +Inf bucket has no upper bound: answer the largest finite one, as Prometheus does.
      if (b === Infinity) return prevBound;
      if (c === prevCount) return b;
      return prevBound + ((b - prevBound) * (rank - prevCount)) / (c - prevCount);
    }
    prevBound = b;
    prevCount = c;
  }
  return prevBound;
}

/** Values of every family of `cur` (see the file comment for keys), series filtered by `match` over `targetLabels`; rates need `prev` of the same process. */
export function anyMetricValues(prev: ParsedScrape | undefined, cur: ParsedScrape, match?: LabelMatch, targetLabels: Readonly<Record<string, string>> = {}): Record<string, number> {
  const out: Record<string, number> = {};
  const c = fold(cur, match, targetLabels);
  const p = prev === undefined ? undefined : fold(prev, match, targetLabels);
  const dtS = prev === undefined ? 0 : (cur.timeMs - prev.timeMs) / 1000;
  for (const [name, v] of c.scalars) {
    if (!isCounter(cur.types, name)) out[name] = v;
    else if (p !== undefined && dtS > 0 && p.scalars.has(name)) out[name] = increase(p.scalars.get(name)!, v) / dtS;
  }
  if (p === undefined || !(dtS > 0)) return out;
  for (const [name, h] of c.hists) {
    const ph = p.hists.get(name);
    if (ph === undefined) continue;
    const restarted = h.count < ph.count;
    const dSum = restarted ? h.sum : h.sum - ph.sum;
    const dCount = restarted ? h.count : h.count - ph.count;
    out[name] = dSum / dtS;
    out[`${name}@count`] = dCount / dtS;
    out[`${name}@mean`] = dCount > 0 ? dSum / dCount : 0;
    const delta = new Map<number, number>();
    for (const [le, n] of h.buckets) delta.set(le, restarted ? n : increase(ph.buckets.get(le) ?? 0, n));
    for (const q of QUANTILES) out[`${name}@p${q}`] = bucketQuantile(q / 100, delta);
  }
  return out;
}
