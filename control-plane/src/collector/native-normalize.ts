// Triton and TorchServe metrics onto the normalized engine fields. Neither reports an LLM
// engine's gauges the way vLLM does, so (docs/user-guide.md "Triton and TorchServe backends"):
//
// | field    | Triton                                                                  | TorchServe                                              |
// |----------|-------------------------------------------------------------------------|---------------------------------------------------------|
// | waiting  | nv_trt_llm_request_metrics{request_type="waiting"}, else                | Δts_queue_latency_microseconds / Δt (Little's law)      |
// |          | nv_inference_pending_request_count                                      |                                                         |
// | running  | nv_trt_llm_request_metrics{request_type="active"}, else                 | (Δts_inference_latency_microseconds − Δqueue) / Δt      |
// |          | Δnv_inference_compute_infer_duration_us / Δt (Little's law)             |                                                         |
// | kvUsage  | nv_trt_llm_kv_cache_block_metrics{kv_cache_block_type="fraction"}       | 0 (not reported)                                        |
// | kvBlocks | ...{kv_cache_block_type="max"}, blockSize: ...{="tokens_per"}           | —                                                       |
//
// Little's law: the cumulative microseconds requests spent queued (or in the engine) grow, per
// microsecond of wall time, by the mean number of requests queued (or in the engine) over the
// interval. The counters move when a request ends, so a derived value lags by up to one request
// duration. Pure.
import type { PromSample } from './prometheus.js';
import type { BusyCounters, EngineMetrics } from './metrics-types.js';

export type { BusyCounters } from './metrics-types.js';

function total(samples: readonly PromSample[], name: string, labels: Record<string, string> = {}): number | undefined {
  let found = false;
  let v = 0;
  for (const s of samples) {
    if (s.name !== name || !Number.isFinite(s.value)) continue;
    if (!Object.entries(labels).every(([k, want]) => s.labels[k] === want)) continue;
    found = true;
    v += s.value;
  }
  return found ? v : undefined;
}

function clean<T extends object>(o: T): T {
  for (const k of Object.keys(o) as (keyof T)[]) if (o[k] === undefined) delete o[k];
  return o;
}

/** Triton's families (Triton core, TensorRT-LLM backend) as EngineMetrics. */
export function normalizeTriton(samples: readonly PromSample[]): EngineMetrics {
  const trt = (t: string): number | undefined => total(samples, 'nv_trt_llm_request_metrics', { request_type: t });
  const kv = (t: string): number | undefined => total(samples, 'nv_trt_llm_kv_cache_block_metrics', { kv_cache_block_type: t });
  const active = trt('active');
  const fraction = kv('fraction');
  const maxBlocks = kv('max');
  const used = kv('used');
  const tokensPer = kv('tokens_per');
  const m: EngineMetrics = {
    engine: 'Triton',
    running: active ?? 0,
    waiting: trt('waiting') ?? total(samples, 'nv_inference_pending_request_count') ?? 0,
    kvUsage: Math.min(1, Math.max(0, fraction ?? (used !== undefined && maxBlocks ? used / maxBlocks : 0))),
    kvBlocks: maxBlocks !== undefined && maxBlocks > 0 ? maxBlocks : undefined,
    blockSize: tokensPer !== undefined && tokensPer > 0 ? tokensPer : undefined,
  };
  if (active === undefined) m.busy = clean<BusyCounters>({ busyUs: total(samples, 'nv_inference_compute_infer_duration_us'), computeOnly: true });
  return clean(m);
}

/** TorchServe's frontend counters as EngineMetrics (running and waiting derived between scrapes). */
export function normalizeTorchserve(samples: readonly PromSample[]): EngineMetrics {
  return {
    engine: 'TorchServe',
    running: 0,
    waiting: 0,
    kvUsage: 0,
    busy: clean<BusyCounters>({ queueUs: total(samples, 'ts_queue_latency_microseconds'), busyUs: total(samples, 'ts_inference_latency_microseconds') }),
  };
}

function rate(prev: number | undefined, cur: number | undefined, dtUs: number): number | undefined {
  if (prev === undefined || cur === undefined) return undefined;
  // A counter that went down is a restarted engine: what it counted since is the movement.
  const d = cur < prev ? cur : cur - prev;
  return d / dtUs;
}

/**
 * Running and waiting of an engine without gauges, from its busy counters at two scrapes
 * `dtMs` apart; the gauges `cur` already has are kept. Undefined without a usable previous scrape.
 */
export function derivedLoad(prev: BusyCounters | undefined, cur: BusyCounters | undefined, dtMs: number, gauges: { running: number; waiting: number }): { running: number; waiting: number } | undefined {
  if (prev === undefined || cur === undefined || !(dtMs > 0)) return undefined;
  const dtUs = dtMs * 1000;
  const queued = rate(prev.queueUs, cur.queueUs, dtUs);
  const busy = rate(prev.busyUs, cur.busyUs, dtUs);
  const waiting = queued ?? gauges.waiting;
  const running = busy === undefined ? gauges.running : Math.max(0, cur.computeOnly ? busy : busy - (queued ?? 0));
  return { running: Math.round(running * 1000) / 1000, waiting: Math.round(waiting * 1000) / 1000 };
}
