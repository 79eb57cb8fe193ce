// Pure normalization of engine metrics: vLLM (V1 names and the legacy gpu_* names) and SGLang
// exposition samples become one shape, and two scrapes become an EngineSample with histogram
// deltas. No I/O and no clock here.
import type { EngineFamily, EngineSample, HistogramDelta } from '@matrixinfer/events';
import type { HistogramTotals } from './metrics-types.js';
import type { PromSample } from './prometheus.js';
import type { EngineMetrics } from './metrics-types.js';
import { derivedLoad, normalizeTorchserve, normalizeTriton } from './native-normalize.js';

export type { EngineMetrics, HistogramTotals } from './metrics-types.js';

/** A normalization result: the metrics, or why there are none ("cannot decide" is a value). */
export type Normalized = { valid: true; metrics: EngineMetrics } | { valid: false; reason: 'no-engine-metrics' };

// Series of the first name in `names` that has any; tensor-parallel ranks other than 0 repeat
// rank 0's numbers (SGLang labels them tp_rank), so they are dropped.
function series(samples: readonly PromSample[], names: readonly string[]): PromSample[] {
  for (const name of names) {
    const found = samples.filter((s) => s.name === name && (s.labels.tp_rank === undefined || s.labels.tp_rank === '0') && Number.isFinite(s.value));
    if (found.length > 0) return found;
  }
  return [];
}

// Several engines in one process (vLLM data parallel: label engine="0","1"...) add up.
function sum(samples: readonly PromSample[], names: readonly string[]): number | undefined {
  const found = series(samples, names);
  return found.length === 0 ? undefined : found.reduce((a, s) => a + s.value, 0);
}

function mean(samples: readonly PromSample[], names: readonly string[]): number | undefined {
  const found = series(samples, names);
  return found.length === 0 ? undefined : found.reduce((a, s) => a + s.value, 0) / found.length;
}

function histogram(samples: readonly PromSample[], bases: readonly string[]): HistogramTotals | undefined {
  for (const base of bases) {
    const s = sum(samples, [`${base}_sum`]);
    const c = sum(samples, [`${base}_count`]);
    if (s !== undefined && c !== undefined) return { sumSeconds: s, count: c };
  }
  return undefined;
}

function clamp01(v: number): number {
  return v < 0 ? 0 : v > 1 ? 1 : v;
}

function positiveInt(s: string | undefined): number | undefined {
  const n = Number(s);
  return Number.isInteger(n) && n > 0 ? n : undefined;
}

function withoutUndefined<T extends object>(o: T): T {
  for (const k of Object.keys(o) as (keyof T)[]) if (o[k] === undefined) delete o[k];
  return o;
}

const PREFIXES: readonly [string, EngineFamily][] = [['vllm:', 'vLLM'], ['sglang:', 'SGLang'], ['nv_inference_', 'Triton'], ['nv_trt_llm_', 'Triton'], ['ts_', 'TorchServe']];

/**
 * Which engine wrote these samples, by metric-name prefix (the most samples win; a Triton whose
 * vLLM backend reports vllm: gauges is read as vLLM, the richer names); undefined when none.
 */
export function detectEngine(samples: readonly PromSample[]): EngineFamily | undefined {
  const counts = new Map<EngineFamily, number>();
  for (const s of samples) {
    for (const [prefix, family] of PREFIXES) {
      if (s.name.startsWith(prefix)) {
        counts.set(family, (counts.get(family) ?? 0) + 1);
        break;
      }
    }
  }
  let best: EngineFamily | undefined;
  let most = 0;
  for (const [family, n] of counts) {
    if (n > most || (n === most && family === 'vLLM')) [best, most] = [family, n];
  }
  return best;
}

function normalizeVllm(samples: readonly PromSample[]): EngineMetrics {
  const config = series(samples, ['vllm:cache_config_info'])[0]?.labels ?? {};
  return withoutUndefined<EngineMetrics>({
    engine: 'vLLM',
    running: sum(samples, ['vllm:num_requests_running']) ?? 0,
    waiting: sum(samples, ['vllm:num_requests_waiting']) ?? 0,
    // V1 name first; gpu_cache_usage_perc was removed in late 2025 but older servers expose it.
    kvUsage: clamp01(mean(samples, ['vllm:kv_cache_usage_perc', 'vllm:gpu_cache_usage_perc']) ?? 0),
    kvBlocks: positiveInt(config.num_gpu_blocks),
    blockSize: positiveInt(config.block_size),
    promptTokensTotal: sum(samples, ['vllm:prompt_tokens_total']),
    generationTokensTotal: sum(samples, ['vllm:generation_tokens_total']),
    prefixCacheQueriesTotal: sum(samples, ['vllm:prefix_cache_queries_total', 'vllm:gpu_prefix_cache_queries_total', 'vllm:gpu_prefix_cache_queries']),
    prefixCacheHitsTotal: sum(samples, ['vllm:prefix_cache_hits_total', 'vllm:gpu_prefix_cache_hits_total', 'vllm:gpu_prefix_cache_hits']),
    ttft: histogram(samples, ['vllm:time_to_first_token_seconds']),
    itl: histogram(samples, ['vllm:inter_token_latency_seconds', 'vllm:time_per_output_token_seconds']),
  });
}

function normalizeSglang(samples: readonly PromSample[]): EngineMetrics {
  const used = sum(samples, ['sglang:num_used_tokens']);
  const max = sum(samples, ['sglang:max_total_num_tokens']);
  const usage = mean(samples, ['sglang:token_usage']) ?? (used !== undefined && max ? used / max : 0);
  const prompt = sum(samples, ['sglang:prompt_tokens_total']);
  const cached = sum(samples, ['sglang:cached_tokens_total']);
  return withoutUndefined<EngineMetrics>({
    engine: 'SGLang',
    running: sum(samples, ['sglang:num_running_reqs']) ?? 0,
    waiting: sum(samples, ['sglang:num_queue_reqs']) ?? 0,
    kvUsage: clamp01(usage),
    // SGLang's radix cache is token-granular (page size 1): one block per token.
    kvBlocks: max !== undefined && max > 0 ? max : undefined,
    blockSize: max !== undefined && max > 0 ? 1 : undefined,
    promptTokensTotal: prompt,
    generationTokensTotal: sum(samples, ['sglang:generation_tokens_total']),
    // Prefix-cache counters exist only where SGLang counts cached tokens: every prompt token
    // is a query, every cached one a hit (vLLM's definition).
    prefixCacheQueriesTotal: cached !== undefined ? prompt : undefined,
    prefixCacheHitsTotal: cached,
    ttft: histogram(samples, ['sglang:time_to_first_token_seconds']),
    itl: histogram(samples, ['sglang:inter_token_latency_seconds', 'sglang:time_per_output_token_seconds']),
  });
}

const NORMALIZERS: Record<EngineFamily, (samples: readonly PromSample[]) => EngineMetrics> = {
  vLLM: normalizeVllm, SGLang: normalizeSglang, Triton: normalizeTriton, TorchServe: normalizeTorchserve,
};

/** Normalizes one scrape's samples (vLLM V1/legacy, SGLang, Triton or TorchServe names) taken at `atMs` into EngineMetrics. */
export function normalizeEngineMetrics(samples: readonly PromSample[], atMs?: number): Normalized {
  const engine = detectEngine(samples);
  if (engine === undefined) return { valid: false, reason: 'no-engine-metrics' };
  const metrics = NORMALIZERS[engine](samples);
  if (atMs !== undefined) metrics.atMs = atMs;
  return { valid: true, metrics };
}

/**
 * Movement of a cumulative histogram between two scrapes; undefined without a previous scrape
 * (no window yet). A smaller count means the engine restarted: the new totals are the delta.
 */
export function histogramDelta(prev: HistogramTotals | undefined, cur: HistogramTotals | undefined): HistogramDelta | undefined {
  if (cur === undefined || prev === undefined) return undefined;
  if (cur.count < prev.count) return { sumSeconds: cur.sumSeconds, count: cur.count };
  return { sumSeconds: Math.max(0, cur.sumSeconds - prev.sumSeconds), count: cur.count - prev.count };
}

/** LoRA adapters in a /v1/models body: cards whose `parent` names a base model. Sorted. */
export function parseAdapters(body: unknown): string[] {
  const data = (body as { data?: unknown } | null)?.data;
  if (!Array.isArray(data)) return [];
  const out = new Set<string>();
  for (const card of data) {
    const c = card as { id?: unknown; parent?: unknown } | null;
    if (typeof c?.id === 'string' && typeof c.parent === 'string' && c.parent !== '') out.add(c.id);
  }
  return [...out].sort();
}

/** Who an endpoint is, as the collector learned it from observations. */
export interface EndpointIdentity {
  id: string;
  address: string;
  modelServer: string;
  target: string;
}

/** Builds the EngineSample of a scrape, with deltas against the previous scrape's metrics. */
export function buildEngineSample(ep: EndpointIdentity, cur: EngineMetrics, prev: EngineMetrics | undefined, adapters: string[] | undefined, nowMs: number): EngineSample {
  const load = cur.busy === undefined ? cur : derivedLoad(prev?.busy, cur.busy, (cur.atMs ?? nowMs) - (prev?.atMs ?? Number.NaN), cur) ?? cur;
  return withoutUndefined<EngineSample>({
    endpoint: ep.id,
    address: ep.address,
    modelServer: ep.modelServer,
    target: ep.target,
    engine: cur.engine,
    timeMs: nowMs,
    running: load.running,
    waiting: load.waiting,
    kvUsage: cur.kvUsage,
    kvBlocks: cur.kvBlocks,
    blockSize: cur.blockSize,
    promptTokensTotal: cur.promptTokensTotal,
    generationTokensTotal: cur.generationTokensTotal,
    prefixCacheQueriesTotal: cur.prefixCacheQueriesTotal,
    prefixCacheHitsTotal: cur.prefixCacheHitsTotal,
    ttft: histogramDelta(prev?.ttft, cur.ttft),
    itl: histogramDelta(prev?.itl, cur.itl),
    adapters,
  });
}
