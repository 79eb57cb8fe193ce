// The normalized shape of one engine scrape (counters and histograms still cumulative), shared
// by the per-engine normalizers.
import type { EngineLoad } from '@matrixinfer/events';

/** Cumulative microsecond counters a derived running/waiting is computed from. */
export interface BusyCounters {
  /** Time requests spent queued. */
  queueUs?: number;
  /** Time requests spent in the engine, queue included (TorchServe) — or computing only (Triton, `computeOnly`). */
  busyUs?: number;
  computeOnly?: boolean;
}

/** Cumulative histogram totals as exposed (`_sum`, `_count`). */
export interface HistogramTotals {
  sumSeconds: number;
  count: number;
}

/** One scrape, normalized; counters and histograms are still cumulative. */
export interface EngineMetrics extends EngineLoad {
  ttft?: HistogramTotals;
  itl?: HistogramTotals;
  /** Engines without running/waiting gauges (Triton without TensorRT-LLM, TorchServe): counters to derive them from. */
  busy?: BusyCounters;
  /** When the scrape was taken (ms), for derived values. */
  atMs?: number;
}

