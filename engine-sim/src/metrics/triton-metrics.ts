// Triton /metrics: Triton's own per-model inference families (nv_inference_*, labels model and
// version) and the TensorRT-LLM backend's batch manager and KV cache gauges (nv_trt_llm_*), as
// Triton's prometheus-cpp writer prints them: labels in name order, integers without ".0".
// Durations are model time in microseconds.

import type { EngineSnapshot, EngineStatsSink, FinishInfo } from '../engine/types.js';

/** The metrics of one Triton-mode simulator. */
export interface TritonMetrics extends EngineStatsSink {
  render(snap: EngineSnapshot): string;
}

interface Counters {
  success: number;
  failure: number;
  requestUs: number;
  queueUs: number;
  inferUs: number;
}

function num(v: number): string {
  return Number.isInteger(v) ? String(v) : String(Math.round(v * 1e6) / 1e6);
}

/** Creates the Triton metric families for `model` (version "1") with `maxNumSeqs` batch slots. */
export function createTritonMetrics(model: string, maxNumSeqs: number): TritonMetrics {
  const c: Counters = { success: 0, failure: 0, requestUs: 0, queueUs: 0, inferUs: 0 };
  const lbl = `model=${JSON.stringify(model)},version="1"`;
  const out: string[] = [];
  const family = (name: string, help: string, type: 'counter' | 'gauge', series: [string, number][]): void => {
    out.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`);
    for (const [labels, v] of series) out.push(`${name}{${labels}} ${num(v)}`);
  };
  return {
    prefixCache() {},
    promptTokens() {},
    generationTokens() {},
    preemption() {},
    firstToken() {},
    interToken() {},
    finished(info: FinishInfo) {
      if (info.reason === 'abort') {
        c.failure += 1;
        return;
      }
      c.success += 1;
      const scheduled = info.scheduledMs ?? info.arrivalMs;
      c.requestUs += (info.finishMs - info.arrivalMs) * 1000;
      c.queueUs += (scheduled - info.arrivalMs) * 1000;
      c.inferUs += (info.finishMs - scheduled) * 1000;
    },
    render(snap) {
      out.length = 0;
      family('nv_inference_request_success', 'Number of successful inference requests, all batch sizes', 'counter', [[lbl, c.success]]);
      family('nv_inference_request_failure', 'Number of failed inference requests, all batch sizes', 'counter', [[lbl, c.failure]]);
      family('nv_inference_count', 'Number of inferences performed (does not include cached requests)', 'counter', [[lbl, c.success]]);
      family('nv_inference_exec_count', 'Number of model executions performed (does not include cached requests)', 'counter', [[lbl, c.success]]);
      family('nv_inference_request_duration_us', 'Cumulative inference request duration in microseconds (includes cached requests)', 'counter', [[lbl, c.requestUs]]);
      family('nv_inference_queue_duration_us', 'Cumulative inference queuing duration in microseconds (includes cached requests)', 'counter', [[lbl, c.queueUs]]);
      family('nv_inference_compute_input_duration_us', 'Cumulative compute input duration in microseconds (does not include cached requests)', 'counter', [[lbl, 0]]);
      family('nv_inference_compute_infer_duration_us', 'Cumulative compute inference duration in microseconds (does not include cached requests)', 'counter', [[lbl, c.inferUs]]);
      family('nv_inference_compute_output_duration_us', 'Cumulative inference compute output duration in microseconds (does not include cached requests)', 'counter', [[lbl, 0]]);
      family('nv_inference_pending_request_count', 'Instantaneous number of pending requests awaiting execution per-model.', 'gauge', [[lbl, snap.waiting]]);
      const rt = (t: string): string => `model=${JSON.stringify(model)},request_type="${t}",version="1"`;
      family('nv_trt_llm_request_metrics', 'TRT LLM request metrics', 'gauge', [
        [rt('active'), snap.running], [rt('max'), maxNumSeqs], [rt('scheduled'), snap.running], [rt('waiting'), snap.waiting],
      ]);
      const kv = (t: string): string => `kv_cache_block_type="${t}",model=${JSON.stringify(model)},version="1"`;
      family('nv_trt_llm_kv_cache_block_metrics', 'TRT LLM KV cache block metrics', 'gauge', [
        [kv('fraction'), snap.totalBlocks > 0 ? snap.usedBlocks / snap.totalBlocks : 0], [kv('free'), snap.totalBlocks - snap.usedBlocks],
        [kv('max'), snap.totalBlocks], [kv('tokens_per'), snap.blockSize], [kv('used'), snap.usedBlocks],
      ]);
      return `${out.join('\n')}\n`;
    },
  };
}
