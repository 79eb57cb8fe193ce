// Metric samples on MI_METRICS. Engines are scraped by the collector (source `engine`, subject
// `mi.metrics.engine.<namespace>.<endpoint id>`); gateways publish their own per-model load
// (source `gateway`, subject `mi.metrics.gateway.<namespace>.<model>`). vLLM and SGLang names
// are normalized into one shape so consumers never care which engine answered.

/** Histogram movement since the previous scrape (delta sum and count). */
export interface HistogramDelta {
  sumSeconds: number;
  count: number;
}

/** One scrape of one engine endpoint, normalized. */
export interface EngineSample {
  endpoint: string;
  address: string;
  modelServer: string;
  /** ModelInfer / scale target the endpoint belongs to. */
  target: string;
  engine: 'vLLM' | 'SGLang';
  timeMs: number;
  running: number;
  waiting: number;
  /** KV cache usage, 0-1. */
  kvUsage: number;
  /** Total KV blocks the engine reports (for prefix index sizing), when known. */
  kvBlocks?: number;
  blockSize?: number;
  promptTokensTotal?: number;
  generationTokensTotal?: number;
  prefixCacheQueriesTotal?: number;
  prefixCacheHitsTotal?: number;
  ttft?: HistogramDelta;
  itl?: HistogramDelta;
  /** Adapters loaded, from /v1/models. */
  adapters?: string[];
}

/** One gateway's view of one model over the last period. */
export interface GatewaySample {
  gateway: string;
  model: string;
  timeMs: number;
  inFlight: number;
  requestsPerSecond: number;
  inputTokensPerSecond: number;
  outputTokensPerSecond: number;
  /** Requests held because the model had no ready endpoint (scale-from-zero demand). */
  held?: number;
}
