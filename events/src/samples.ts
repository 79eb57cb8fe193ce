// Metric samples on MI_METRICS. Engines are scraped by the collector (source `engine`, subject
// `mi.metrics.engine.<namespace>.<endpoint id>`); gateways publish their own per-model load
// (source `gateway`, subject `mi.metrics.gateway.<namespace>.<model>`). vLLM and SGLang names
// are normalized into one shape so consumers never care which engine answered.
import type { EngineFamily } from './routes.js';

/** Histogram movement since the previous scrape (delta sum and count). */
export interface HistogramDelta {
  sumSeconds: number;
  count: number;
}

/** The load gauges and cumulative token/cache counters every engine family is normalized into. */
export interface EngineLoad {
  engine: EngineFamily;
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
}

/** One scrape of one engine endpoint, normalized. */
export interface EngineSample extends EngineLoad {
  endpoint: string;
  address: string;
  modelServer: string;
  /** ModelInfer / scale target the endpoint belongs to. */
  target: string;
  timeMs: number;
  ttft?: HistogramDelta;
  itl?: HistogramDelta;
  /** Adapters loaded, from /v1/models. */
  adapters?: string[];
  /** Every family of the scrape as one number (gauge value, counter rate/s, histogram `@mean`/`@pNN`…), for policies on any metric. */
  custom?: Record<string, number>;
  /** The binding's metricEndpoint, scraped besides `<address>/metrics` (its families are in `custom`), when one is set. */
  metricsUrl?: string;
  /** CPU cores the replica's process group used since the previous scrape (CPU seconds per second), when the collector can see the process. */
  cpuCores?: number;
  /** Resident memory of the replica's process group in bytes, when the collector can see the process. */
  memoryBytes?: number;
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

/** Why one external query gave no value: a stable code (MI_ERR_EXTERNAL_*) and a message in words. */
export interface ExternalQueryError {
  code: string;
  message: string;
}

/** One PromQL query of a policy, evaluated at the sample's time: its value (the target's total) or why there is none. */
export type ExternalQueryResult =
  | { metricName: string; query: string; value: number }
  | { metricName: string; query: string; error: ExternalQueryError };

/**
 * The external metrics of one AutoscalingPolicyBinding at `timeMs` (subject
 * `mi.metrics.external.<namespace>.<binding>`, published by the control plane's external-metrics
 * poller): one result per policy metric that has a `query`.
 */
export interface ExternalSample {
  binding: string;
  policy: string;
  timeMs: number;
  results: ExternalQueryResult[];
}

/** Envelope type of an engine sample on `mi.metrics.engine.…`. */
export const ENGINE_SAMPLE = 'metrics.engine.sample';
/** Envelope type of a gateway sample on `mi.metrics.gateway.…`. */
export const GATEWAY_SAMPLE = 'metrics.gateway.sample';
/** Envelope type of an external-metrics sample on `mi.metrics.external.…`. */
export const EXTERNAL_SAMPLE = 'metrics.external.sample';

/**
 * Serializes a sample inside the standard event envelope (architecture: every payload has one).
 * Samples are high-volume and never deduplicated, so the id is the subject plus the sample time.
 */
export function encodeSample(type: typeof ENGINE_SAMPLE | typeof GATEWAY_SAMPLE | typeof EXTERNAL_SAMPLE, source: string, subject: string, sample: EngineSample | GatewaySample | ExternalSample): string {
  return JSON.stringify({ id: `${subject}@${sample.timeMs}`, type, time: new Date(sample.timeMs).toISOString(), source, subject, data: sample });
}

/**
 * Reads a sample from a `mi.metrics.>` message: an envelope (current) or a bare sample (written
 * before samples had envelopes). Returns null for anything else, never throws.
 */
export function decodeSample<T extends EngineSample | GatewaySample>(text: string): T | null {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    return null;
  }
  if (typeof v !== 'object' || v === null) return null;
  const o = v as { data?: unknown; type?: unknown; timeMs?: unknown };
  const sample = typeof o.type === 'string' && typeof o.data === 'object' && o.data !== null ? o.data : v;
  return typeof (sample as { timeMs?: unknown }).timeMs === 'number' ? (sample as T) : null;
}
