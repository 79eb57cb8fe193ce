// TorchServe /metrics in Prometheus mode: the frontend's per-model counters ts_inference_requests_total,
// ts_inference_latency_microseconds and ts_queue_latency_microseconds (labels model_name,
// model_version, hostname) and the host-level QueueTime / WorkerThreadTime gauges and
// Requests2XX/4XX/5XX counters (labels Level, Hostname), as the Java Prometheus client prints
// them ("3.0", a comma after the last label). TorchServe has no in-flight gauge. Durations are
// model time in microseconds (milliseconds for the gauges).

import { hostname } from 'node:os';
import type { EngineStatsSink, FinishInfo } from '../engine/types.js';
import { formatValue } from './prom-text.js';

/** The metrics of one TorchServe-mode simulator. */
export interface TorchserveMetrics extends EngineStatsSink {
  render(): string;
}

/** Creates the TorchServe metric families for `model`. */
export function createTorchserveMetrics(model: string, host = hostname()): TorchserveMetrics {
  let requests = 0;
  let latencyUs = 0;
  let queueUs = 0;
  let lastQueueMs = 0;
  let lastWorkerMs = 0;
  let ok = 0;
  const modelLabels = `model_name=${JSON.stringify(model)},model_version="default",hostname=${JSON.stringify(host)},`;
  const hostLabels = `Level="Host",Hostname=${JSON.stringify(host)},`;
  const family = (out: string[], name: string, type: 'counter' | 'gauge', unit: string, labels: string, v: number | undefined): void => {
    out.push(`# HELP ${name} Torchserve prometheus ${type} metric with unit: ${unit}`, `# TYPE ${name} ${type}`);
    if (v !== undefined) out.push(`${name}{${labels}} ${formatValue(v)}`);
  };
  return {
    prefixCache() {},
    promptTokens() {},
    generationTokens() {},
    preemption() {},
    firstToken() {},
    interToken() {},
    finished(info: FinishInfo) {
      requests += 1;
      if (info.reason === 'abort') return;
      ok += 1;
      const scheduled = info.scheduledMs ?? info.arrivalMs;
      lastQueueMs = scheduled - info.arrivalMs;
      lastWorkerMs = info.finishMs - scheduled;
      queueUs += lastQueueMs * 1000;
      latencyUs += (info.finishMs - info.arrivalMs) * 1000;
    },
    render() {
      const out: string[] = [];
      family(out, 'Requests2XX', 'counter', 'Count', hostLabels, ok);
      family(out, 'Requests4XX', 'counter', 'Count', hostLabels, undefined);
      family(out, 'Requests5XX', 'counter', 'Count', hostLabels, undefined);
      family(out, 'ts_inference_requests_total', 'counter', 'Count', modelLabels, requests);
      family(out, 'ts_inference_latency_microseconds', 'counter', 'Microseconds', modelLabels, Math.round(latencyUs * 1000) / 1000);
      family(out, 'ts_queue_latency_microseconds', 'counter', 'Microseconds', modelLabels, Math.round(queueUs * 1000) / 1000);
      family(out, 'QueueTime', 'gauge', 'Milliseconds', hostLabels, Math.round(lastQueueMs));
      family(out, 'WorkerThreadTime', 'gauge', 'Milliseconds', hostLabels, Math.round(lastWorkerMs));
      return `${out.join('\n')}\n`;
    },
  };
}
