// Pure readers of what the benchmark measures: the simulators' Prometheus counters (prefix
// cache, TTFT histogram) and quantiles of client-side samples.

/** The engine counters the benchmark diffs between the start and end of a run. */
export interface EngineCounters {
  running: number;
  waiting: number;
  prefixQueries: number;
  prefixHits: number;
  /** Tokens generated (decode), all requests, aborted ones included. */
  generationTokens: number;
  ttftCount: number;
  ttftSum: number;
  /** Cumulative TTFT histogram buckets: upper bound (s) -> count, ascending, +Inf last. */
  ttftBuckets: [number, number][];
}

const LINE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[^}]*\})?\s+(\S+)/;

/** Reads the vLLM-named series of one /metrics body (series of one name are summed). */
export function parseEngineCounters(text: string): EngineCounters {
  const c: EngineCounters = { running: 0, waiting: 0, prefixQueries: 0, prefixHits: 0, generationTokens: 0, ttftCount: 0, ttftSum: 0, ttftBuckets: [] };
  const buckets = new Map<number, number>();
  for (const line of text.split('\n')) {
    const m = LINE.exec(line);
    if (!m) continue;
    const v = Number(m[3]);
    switch (m[1]) {
      case 'vllm:num_requests_running': c.running += v; break;
      case 'vllm:num_requests_waiting': c.waiting += v; break;
      case 'vllm:prefix_cache_queries_total': c.prefixQueries += v; break;
      case 'vllm:prefix_cache_hits_total': c.prefixHits += v; break;
      case 'vllm:generation_tokens_total': c.generationTokens += v; break;
      case 'vllm:time_to_first_token_seconds_count': c.ttftCount += v; break;
      case 'vllm:time_to_first_token_seconds_sum': c.ttftSum += v; break;
      case 'vllm:time_to_first_token_seconds_bucket': {
        const le = /le="([^"]+)"/.exec(m[2] ?? '')?.[1];
        if (le === undefined) break;
        const bound = le === '+Inf' ? Infinity : Number(le);
        buckets.set(bound, (buckets.get(bound) ?? 0) + v);
        break;
      }
    }
  }
  c.ttftBuckets = [...buckets.entries()].sort((a, b) => a[0] - b[0]);
  return c;
}

/** Sum over engines of `after − before` (counters and histogram), for one run. */
export function diffCounters(before: EngineCounters[], after: EngineCounters[]): EngineCounters {
  const out: EngineCounters = { running: 0, waiting: 0, prefixQueries: 0, prefixHits: 0, generationTokens: 0, ttftCount: 0, ttftSum: 0, ttftBuckets: [] };
  const buckets = new Map<number, number>();
  after.forEach((a, i) => {
    const b = before[i];
    out.prefixQueries += a.prefixQueries - b.prefixQueries;
    out.prefixHits += a.prefixHits - b.prefixHits;
    out.generationTokens += a.generationTokens - b.generationTokens;
    out.ttftCount += a.ttftCount - b.ttftCount;
    out.ttftSum += a.ttftSum - b.ttftSum;
    const prev = new Map(b.ttftBuckets);
    for (const [le, n] of a.ttftBuckets) buckets.set(le, (buckets.get(le) ?? 0) + n - (prev.get(le) ?? 0));
  });
  out.ttftBuckets = [...buckets.entries()].sort((x, y) => x[0] - y[0]);
  return out;
}

/**
 * Quantile q of a cumulative histogram, linear inside the bucket (Prometheus'
 * histogram_quantile rule); NaN when empty. Bucket bounds limit its precision.
 */
export function histogramQuantile(buckets: [number, number][], q: number): number {
  const total = buckets.length ? buckets[buckets.length - 1][1] : 0;
  if (total <= 0) return NaN;
  const rank = q * total;
  let lower = 0;
  let below = 0;
  for (const [le, n] of buckets) {
    if (n >= rank) {
      if (le === Infinity) return lower;
      return lower + ((le - lower) * (rank - below)) / Math.max(n - below, 1e-12);
    }
    lower = le;
    below = n;
  }
  return lower;
}

/** Quantile q (0-1) of samples by the nearest-rank rule; NaN when empty. */
export function quantile(samples: number[], q: number): number {
  if (samples.length === 0) return NaN;
  const s = [...samples].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil(q * s.length) - 1))];
}
