// vLLM V1 /metrics: the families, types, label names and histogram buckets of
// vllm/v1/metrics/loggers.py (labels model_name, engine="0"), fed by the engine core.

import type { EngineSnapshot, EngineStatsSink, FinishInfo } from '../engine/types.js';
import { buckets125, Histogram, renderFamilies, Scalar, type Family } from './prom-text.js';

const LABELS = ['model_name', 'engine'] as const;
const TTFT_BUCKETS = [0.001, 0.005, 0.01, 0.02, 0.04, 0.06, 0.08, 0.1, 0.25, 0.5, 0.75, 1.0, 2.5, 5.0, 7.5, 10.0,
  20.0, 40.0, 80.0, 160.0, 640.0, 2560.0];
const TOKEN_LATENCY_BUCKETS = [0.01, 0.025, 0.05, 0.075, 0.1, 0.15, 0.2, 0.3, 0.4, 0.5, 0.75, 1.0, 2.5, 5.0, 7.5,
  10.0, 20.0, 40.0, 80.0];
const REQUEST_LATENCY_BUCKETS = [0.3, 0.5, 0.8, 1.0, 1.5, 2.0, 2.5, 5.0, 10.0, 15.0, 20.0, 30.0, 40.0, 50.0, 60.0,
  120.0, 240.0, 480.0, 960.0, 1920.0, 7680.0];
// vLLM V1's iteration_tokens_total buckets (tokens scheduled in one engine step).
const ITERATION_TOKEN_BUCKETS = [1, 8, 16, 32, 64, 128, 256, 512, 1024, 2048, 4096, 8192, 16384];
const FINISH_REASONS = ['stop', 'length', 'abort'] as const;
const MAX_LORA_SERIES = 32;

/** Static facts the metrics expose besides what the core reports. */
export interface VllmMetricsConfig {
  modelName: string;
  maxModelLen: number;
  blockSize: number;
  kvBlocks: number;
  legacyNames: boolean;
  /** Set when LoRA is enabled: vllm:lora_requests_info is exposed with this max_lora. */
  maxLoras: number | undefined;
}

/** The metrics of one vLLM-mode simulator. */
export interface VllmMetrics extends EngineStatsSink {
  /** Counts the n and max_tokens parameters of an accepted request. */
  requestParams(n: number, maxTokens: number): void;
  /** Renders the exposition with gauges taken from `snap`; `unixNowS` stamps lora_requests_info. */
  render(snap: EngineSnapshot, unixNowS: number): string;
}

/** Creates the vLLM metric families (with every series the engine pre-creates at zero). */
export function createVllmMetrics(cfg: VllmMetricsConfig): VllmMetrics {
  const lv = [cfg.modelName, '0'] as const;
  const g = (name: string, help: string): Scalar => new Scalar(name, help, 'gauge', LABELS);
  const c = (name: string, help: string): Scalar => new Scalar(name, help, 'counter', LABELS);
  const h = (name: string, help: string, b: readonly number[]): Histogram => new Histogram(name, help, b, LABELS);
  const tokenBuckets = buckets125(cfg.maxModelLen);

  const running = g('vllm:num_requests_running', 'Number of requests in model execution batches.');
  const waiting = g('vllm:num_requests_waiting', 'Number of requests waiting to be processed.');
  const kvUsage = g('vllm:kv_cache_usage_perc', 'KV-cache usage. 1 means 100 percent usage.');
  const gpuUsage = g('vllm:gpu_cache_usage_perc', 'GPU KV-cache usage. 1 means 100 percent usage.DEPRECATED: Use vllm:kv_cache_usage_perc instead.');
  const gpuQueries = c('vllm:gpu_prefix_cache_queries_total', 'GPU prefix cache queries, in terms of number of queriedtokens. DEPRECATED: Use vllm:prefix_cache_queries instead.');
  const gpuHits = c('vllm:gpu_prefix_cache_hits_total', 'GPU prefix cache hits, in terms of number of cached tokens. DEPRECATED: Use vllm:prefix_cache_hits instead.');
  const queries = c('vllm:prefix_cache_queries_total', 'Prefix cache queries, in terms of number of queried tokens.');
  const hits = c('vllm:prefix_cache_hits_total', 'Prefix cache hits, in terms of number of cached tokens.');
  const preemptions = c('vllm:num_preemptions_total', 'Cumulative number of preemption from the engine.');
  const promptTokens = c('vllm:prompt_tokens_total', 'Number of prefill tokens processed.');
  const generationTokens = c('vllm:generation_tokens_total', 'Number of generation tokens processed.');
  const success = new Scalar('vllm:request_success_total', 'Count of successfully processed requests.', 'counter',
    [...LABELS, 'finished_reason']);
  const promptHist = h('vllm:request_prompt_tokens', 'Number of prefill tokens processed.', tokenBuckets);
  const genHist = h('vllm:request_generation_tokens', 'Number of generation tokens processed.', tokenBuckets);
  const maxGenHist = h('vllm:request_max_num_generation_tokens', 'Histogram of maximum number of requested generation tokens.', tokenBuckets);
  const nHist = h('vllm:request_params_n', 'Histogram of the n request parameter.', [1, 2, 5, 10, 20]);
  const maxTokensHist = h('vllm:request_params_max_tokens', 'Histogram of the max_tokens request parameter.', tokenBuckets);
  const ttft = h('vllm:time_to_first_token_seconds', 'Histogram of time to first token in seconds.', TTFT_BUCKETS);
  const itl = h('vllm:inter_token_latency_seconds', 'Histogram of inter-token latency in seconds.', TOKEN_LATENCY_BUCKETS);
  const tpotLegacy = h('vllm:time_per_output_token_seconds', 'Histogram of time per output token in seconds.DEPRECATED: Use vllm:inter_token_latency_seconds instead.', TOKEN_LATENCY_BUCKETS);
  const tpot = h('vllm:request_time_per_output_token_seconds', 'Histogram of time_per_output_token_seconds per request.', TOKEN_LATENCY_BUCKETS);
  const e2e = h('vllm:e2e_request_latency_seconds', 'Histogram of e2e request latency in seconds.', REQUEST_LATENCY_BUCKETS);
  const queue = h('vllm:request_queue_time_seconds', 'Histogram of time spent in WAITING phase for request.', REQUEST_LATENCY_BUCKETS);
  const inference = h('vllm:request_inference_time_seconds', 'Histogram of time spent in RUNNING phase for request.', REQUEST_LATENCY_BUCKETS);
  const prefill = h('vllm:request_prefill_time_seconds', 'Histogram of time spent in PREFILL phase for request.', REQUEST_LATENCY_BUCKETS);
  const decode = h('vllm:request_decode_time_seconds', 'Histogram of time spent in DECODE phase for request.', REQUEST_LATENCY_BUCKETS);
  const iterationTokens = h('vllm:iteration_tokens_total', 'Histogram of number of tokens per engine_step.', ITERATION_TOKEN_BUCKETS);
  const cacheInfo = new Scalar('vllm:cache_config_info', 'Information of the LLMEngine CacheConfig', 'gauge',
    ['block_size', 'cache_dtype', 'enable_prefix_caching', 'gpu_memory_utilization', 'num_cpu_blocks', 'num_gpu_blocks', 'engine']);
  cacheInfo.set([String(cfg.blockSize), 'auto', 'True', '0.9', 'None', String(cfg.kvBlocks), '0'], 1);
  const loraInfo = new Scalar('vllm:lora_requests_info', 'Running stats on lora requests.', 'gauge',
    ['max_lora', 'waiting_lora_adapters', 'running_lora_adapters']);
  const loraSeen: string[][] = [];

  for (const f of [running, waiting, kvUsage, gpuUsage, gpuQueries, gpuHits, queries, hits, preemptions, promptTokens, generationTokens]) {
    f.inc(lv, 0);
  }
  for (const r of FINISH_REASONS) success.inc([...lv, r], 0);
  for (const f of [promptHist, genHist, maxGenHist, nHist, maxTokensHist, iterationTokens, ttft, itl, tpotLegacy, tpot, e2e, queue, inference, prefill, decode]) {
    f.touch(lv);
  }

  const families: Family[] = [running, waiting];
  if (cfg.legacyNames) families.push(gpuUsage, gpuQueries, gpuHits);
  families.push(kvUsage, queries, hits, preemptions, promptTokens, generationTokens, success, promptHist, genHist,
    maxGenHist, nHist, maxTokensHist, iterationTokens, ttft);
  if (cfg.legacyNames) families.push(tpotLegacy);
  families.push(itl, tpot, e2e, queue, inference, prefill, decode);
  if (cfg.maxLoras !== undefined) families.push(loraInfo);
  families.push(cacheInfo);

  const sec = (ms: number): number => ms / 1000;
  // The engine's only series, bound once: the hot path (every token) does no label lookups.
  const queriesS = queries.child(lv);
  const hitsS = hits.child(lv);
  const gpuQueriesS = gpuQueries.child(lv);
  const gpuHitsS = gpuHits.child(lv);
  const promptTokensS = promptTokens.child(lv);
  const generationTokensS = generationTokens.child(lv);
  const preemptionsS = preemptions.child(lv);
  const successS = { stop: success.child([...lv, 'stop']), length: success.child([...lv, 'length']), abort: success.child([...lv, 'abort']) };
  const ttftS = ttft.child(lv);
  const itlS = itl.child(lv);
  // Only exposed with --legacy-metric-names; not fed otherwise.
  const tpotLegacyS = cfg.legacyNames ? tpotLegacy.child(lv) : undefined;
  const e2eS = e2e.child(lv);
  const promptHistS = promptHist.child(lv);
  const genHistS = genHist.child(lv);
  const maxGenHistS = maxGenHist.child(lv);
  const queueS = queue.child(lv);
  const inferenceS = inference.child(lv);
  const prefillS = prefill.child(lv);
  const decodeS = decode.child(lv);
  const tpotS = tpot.child(lv);
  const nHistS = nHist.child(lv);
  const maxTokensHistS = maxTokensHist.child(lv);
  const iterationTokensS = iterationTokens.child(lv);
  // The core advances every due sequence in one synchronous pass and reports tokens one call at
  // a time: the tokens reported before the pass yields are one engine step's tokens.
  let stepTokens = 0;
  const endStep = (): void => {
    iterationTokensS.observe(stepTokens);
    stepTokens = 0;
  };
  const countStepTokens = (n: number): void => {
    if (n <= 0) return;
    if (stepTokens === 0) queueMicrotask(endStep);
    stepTokens += n;
  };

  return {
    prefixCache(q, hit) {
      queriesS.inc(q);
      hitsS.inc(hit);
      gpuQueriesS.inc(q);
      gpuHitsS.inc(hit);
    },
    promptTokens(n) {
      promptTokensS.inc(n);
      countStepTokens(n);
    },
    generationTokens(n) {
      generationTokensS.inc(n);
      countStepTokens(n);
    },
    preemption() {
      preemptionsS.inc(1);
    },
    firstToken(ms) {
      ttftS.observe(sec(ms));
    },
    interToken(ms) {
      itlS.observe(sec(ms));
      tpotLegacyS?.observe(sec(ms));
    },
    finished(info: FinishInfo) {
      successS[info.reason].inc(1);
      e2eS.observe(sec(info.finishMs - info.arrivalMs));
      promptHistS.observe(info.promptTokens);
      genHistS.observe(info.completionTokens);
      maxGenHistS.observe(info.maxTokens);
      if (info.scheduledMs === undefined) return;
      queueS.observe(sec(info.scheduledMs - info.arrivalMs));
      inferenceS.observe(sec(info.finishMs - info.scheduledMs));
      if (info.firstTokenMs === undefined) return;
      prefillS.observe(sec(info.firstTokenMs - info.scheduledMs));
      decodeS.observe(sec(info.finishMs - info.firstTokenMs));
      if (info.completionTokens > 1) {
        tpotS.observe(sec((info.finishMs - info.firstTokenMs) / (info.completionTokens - 1)));
      }
    },
    requestParams(n, maxTokens) {
      nHistS.observe(n);
      maxTokensHistS.observe(maxTokens);
    },
    render(snap, unixNowS) {
      running.set(lv, snap.running);
      waiting.set(lv, snap.waiting);
      const usage = snap.totalBlocks > 0 ? snap.usedBlocks / snap.totalBlocks : 0;
      kvUsage.set(lv, usage);
      gpuUsage.set(lv, usage);
      if (cfg.maxLoras !== undefined) {
        // vLLM keeps one series per label combination seen, stamped with the time it was last current.
        const key = [String(cfg.maxLoras), snap.waitingLoras.join(','), snap.runningLoras.join(',')];
        loraInfo.set(key, unixNowS);
        const k = key.join('\u0000');
        const i = loraSeen.findIndex((x) => x.join('\u0000') === k);
        if (i >= 0) loraSeen.splice(i, 1);
        loraSeen.push(key);
        while (loraSeen.length > MAX_LORA_SERIES) {
          const old = loraSeen.shift();
          if (old) loraInfo.delete(old);
        }
      }
      return renderFamilies(families);
    },
  };
}
