// The metric names an AutoscalingPolicy may scale on, and how each maps to a field of the
// per-target samples the runner builds. Names accepted are the canonical ones below plus the
// vLLM / SGLang Prometheus names users already know; anything else is rejected at validation.

/** Where a metric comes from: engine scrapes (per endpoint), gateway samples (per model), or any family of the engine's /metrics (the collector's `custom` values). */
export type MetricSource = 'engine' | 'gateway' | 'any';

/** Prefix of an any-metric's key in TargetSample.values (keeps engine family names apart from canonical names). */
export const ANY_METRIC_PREFIX = 'custom:';

/** Prefix of an external (PromQL) metric's key in TargetSample.values: `query:<metricName>`. */
export const QUERY_METRIC_PREFIX = 'query:';

export interface MetricInfo {
  /** Canonical name: the key in TargetSample.values. */
  name: string;
  source: MetricSource;
  /** What the target value means, for docs and error messages. */
  meaning: string;
}

/** Canonical metrics, by canonical name. */
export const METRICS: Readonly<Record<string, MetricInfo>> = {
  waiting: { name: 'waiting', source: 'engine', meaning: 'requests queued in the engine, per replica' },
  running: { name: 'running', source: 'engine', meaning: 'requests running in the engine batch, per replica' },
  kvUsage: { name: 'kvUsage', source: 'engine', meaning: 'KV cache usage 0-1, per replica' },
  ttftSeconds: { name: 'ttftSeconds', source: 'engine', meaning: 'mean time to first token in seconds over the last scrape interval (scales like HPA utilization)' },
  itlSeconds: { name: 'itlSeconds', source: 'engine', meaning: 'mean inter-token latency in seconds over the last scrape interval (scales like HPA utilization)' },
  cpu: { name: 'cpu', source: 'engine', meaning: "CPU cores used by the replica's processes (CPU seconds per second), per replica (/proc locally, PodMetrics in Kubernetes)" },
  memory: { name: 'memory', source: 'engine', meaning: "resident memory of the replica's processes in bytes (working set in Kubernetes), per replica" },
  inFlight: { name: 'inFlight', source: 'gateway', meaning: 'requests in flight at the gateways, per replica' },
  requestsPerSecond: { name: 'requestsPerSecond', source: 'gateway', meaning: 'requests per second at the gateways, per replica' },
  tokensPerSecond: { name: 'tokensPerSecond', source: 'gateway', meaning: 'input + output tokens per second at the gateways, per replica' },
  inputTokensPerSecond: { name: 'inputTokensPerSecond', source: 'gateway', meaning: 'prompt tokens per second at the gateways, per replica' },
  outputTokensPerSecond: { name: 'outputTokensPerSecond', source: 'gateway', meaning: 'completion tokens per second at the gateways, per replica' },
};

/** Accepted spellings (lower-case) -> canonical name. */
const ALIASES: Readonly<Record<string, string>> = {
  waiting: 'waiting',
  num_requests_waiting: 'waiting',
  'vllm:num_requests_waiting': 'waiting',
  'sglang:num_queue_reqs': 'waiting',
  running: 'running',
  num_requests_running: 'running',
  'vllm:num_requests_running': 'running',
  'sglang:num_running_reqs': 'running',
  kvusage: 'kvUsage',
  kv_cache_usage: 'kvUsage',
  'vllm:gpu_cache_usage_perc': 'kvUsage',
  'vllm:kv_cache_usage_perc': 'kvUsage',
  'sglang:token_usage': 'kvUsage',
  ttft: 'ttftSeconds',
  ttftseconds: 'ttftSeconds',
  ttft_seconds: 'ttftSeconds',
  ttft_mean_seconds: 'ttftSeconds',
  itl: 'itlSeconds',
  itlseconds: 'itlSeconds',
  itl_seconds: 'itlSeconds',
  itl_mean_seconds: 'itlSeconds',
  cpu: 'cpu',
  cpu_cores: 'cpu',
  memory: 'memory',
  memory_bytes: 'memory',
  inflight: 'inFlight',
  in_flight: 'inFlight',
  gateway_in_flight: 'inFlight',
  requestspersecond: 'requestsPerSecond',
  requests_per_second: 'requestsPerSecond',
  gateway_requests_per_second: 'requestsPerSecond',
  tokenspersecond: 'tokensPerSecond',
  tokens_per_second: 'tokensPerSecond',
  gateway_tokens_per_second: 'tokensPerSecond',
  inputtokenspersecond: 'inputTokensPerSecond',
  input_tokens_per_second: 'inputTokensPerSecond',
  gateway_input_tokens_per_second: 'inputTokensPerSecond',
  outputtokenspersecond: 'outputTokensPerSecond',
  output_tokens_per_second: 'outputTokensPerSecond',
  gateway_output_tokens_per_second: 'outputTokensPerSecond',
};

// A Prometheus metric name, optionally with a reading of a histogram (see the collector's any-metric.ts).
const ANY_METRIC = /^[a-zA-Z_:][a-zA-Z0-9_:]*(@(count|mean|p50|p90|p95|p99))?$/;

/**
 * Canonical metric for a policy's metricName; any other Prometheus name (optionally
 * `name@count|mean|p50|p90|p95|p99` for a histogram) is read from the engine's /metrics as is.
 * An error message says what is accepted.
 */
export function resolveMetric(metricName: string): { metric: MetricInfo } | { error: string } {
  const key = metricName.trim().toLowerCase();
  const canonical = ALIASES[key];
  if (canonical !== undefined) return { metric: METRICS[canonical] };
  const name = metricName.trim();
  if (ANY_METRIC.test(name)) {
    return { metric: { name: `${ANY_METRIC_PREFIX}${name}`, source: 'any', meaning: `${name} from the engine's /metrics (gauge value, counter rate per second, histogram sum per second), summed over replicas` } };
  }
  if (/@/.test(name)) {
    return { error: `unsupported metric "${metricName}": a histogram reading is one of @count, @mean, @p50, @p90, @p95, @p99` };
  }
  return { error: `"${metricName}" is not a Prometheus metric name nor one of: ${supportedMetricNames().join(', ')}` };
}

/** Every accepted metricName, sorted. */
export function supportedMetricNames(): string[] {
  const canonical = Object.keys(METRICS);
  const aliases = Object.keys(ALIASES).filter((k) => !canonical.some((c) => c.toLowerCase() === k));
  return [...canonical, ...aliases].sort();
}
