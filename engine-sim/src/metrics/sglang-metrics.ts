// SGLang /metrics: sglang: families of srt/metrics/collector.py. Scheduler gauges carry
// model_name, engine_type (unified|prefill|decode), tp_rank, pp_rank; tokenizer counters and
// histograms carry model_name.

import type { PdRole } from '../config.js';
import type { EngineSnapshot, EngineStatsSink, FinishInfo } from '../engine/types.js';
import { Histogram, renderFamilies, Scalar, type Family } from './prom-text.js';

const SCHED_LABELS = ['model_name', 'engine_type', 'tp_rank', 'pp_rank'] as const;
const TOK_LABELS = ['model_name'] as const;
const TTFT_BUCKETS = [0.1, 0.2, 0.4, 0.6, 0.8, 1, 2, 4, 6, 8, 10, 20, 40, 60, 80, 100, 200, 400];
const E2E_BUCKETS = [0.1, 0.2, 0.4, 0.6, 0.8, 1, 2, 4, 6, 8, 10, 20, 40, 60, 80, 100, 200, 400, 600, 1200, 1800, 2400];
const ITL_BUCKETS = [0.002, 0.004, 0.006, 0.008, 0.01, 0.015, 0.02, 0.025, 0.03, 0.035, 0.04, 0.06, 0.08, 0.1, 0.2,
  0.4, 0.6, 0.8, 1, 2, 4, 6, 8];
const THROUGHPUT_WINDOW_MS = 10_000;

/** The metrics of one SGLang-mode simulator. */
export interface SglangMetrics extends EngineStatsSink {
  /** Renders the exposition; `nowMs` (model time) dates the generation-throughput window. */
  render(snap: EngineSnapshot, nowMs: number): string;
}

/** Creates the SGLang metric families for `modelName` in PD role `role`. */
export function createSglangMetrics(modelName: string, role: PdRole, totalTokens: number, nowMs: () => number): SglangMetrics {
  const engineType = role === 'both' ? 'unified' : role;
  const sl = [modelName, engineType, '0', '0'] as const;
  const tl = [modelName] as const;
  const sg = (name: string, help: string): Scalar => new Scalar(name, help, 'gauge', SCHED_LABELS);
  const tc = (name: string, help: string): Scalar => new Scalar(name, help, 'counter', TOK_LABELS);

  const running = sg('sglang:num_running_reqs', 'The number of running requests.');
  const usedTokens = sg('sglang:num_used_tokens', 'The number of used tokens.');
  const tokenUsage = sg('sglang:token_usage', 'The token usage.');
  const genThroughput = sg('sglang:gen_throughput', 'The generation throughput (token/s).');
  const queue = sg('sglang:num_queue_reqs', 'The number of requests in the waiting queue.');
  const hitRate = sg('sglang:cache_hit_rate', 'The prefix cache hit rate.');
  const maxTokens = sg('sglang:max_total_num_tokens', 'Maximum total number of tokens in the KV cache pool.');
  const promptTokens = tc('sglang:prompt_tokens_total', 'Number of prefill tokens processed.');
  const genTokens = tc('sglang:generation_tokens_total', 'Number of generation tokens processed.');
  const cachedTokens = tc('sglang:cached_tokens_total', 'Number of cached prompt tokens.');
  const requests = tc('sglang:num_requests_total', 'Number of requests processed.');
  const aborted = tc('sglang:num_aborted_requests_total', 'Number of requests aborted.');
  const ttft = new Histogram('sglang:time_to_first_token_seconds', 'Histogram of time to first token in seconds.', TTFT_BUCKETS, TOK_LABELS);
  const itl = new Histogram('sglang:inter_token_latency_seconds', 'Histogram of inter-token latency in seconds.', ITL_BUCKETS, TOK_LABELS);
  const e2e = new Histogram('sglang:e2e_request_latency_seconds', 'Histogram of End-to-end request latency in seconds', E2E_BUCKETS, TOK_LABELS);

  for (const f of [running, usedTokens, tokenUsage, genThroughput, queue, hitRate, maxTokens]) f.set(sl, 0);
  for (const f of [promptTokens, genTokens, cachedTokens, requests, aborted]) f.inc(tl, 0);
  for (const h of [ttft, itl, e2e]) h.touch(tl);
  maxTokens.set(sl, totalTokens);
  const families: Family[] = [running, usedTokens, tokenUsage, genThroughput, queue, hitRate, maxTokens,
    promptTokens, genTokens, cachedTokens, requests, aborted, ttft, itl, e2e];

  let queried = 0;
  let hit = 0;
  // Series bound once: the hot path (every token) does no label lookups.
  const promptTokensS = promptTokens.child(tl);
  const genTokensS = genTokens.child(tl);
  const cachedTokensS = cachedTokens.child(tl);
  const requestsS = requests.child(tl);
  const abortedS = aborted.child(tl);
  const ttftS = ttft.child(tl);
  const itlS = itl.child(tl);
  const e2eS = e2e.child(tl);
  // Generated-token timestamps bucketed per second for a sliding throughput window.
  const perSecond = new Map<number, number>();

  return {
    prefixCache(q, h) {
      queried += q;
      hit += h;
    },
    promptTokens(n) {
      promptTokensS.inc(n);
    },
    generationTokens(n) {
      genTokensS.inc(n);
      const sec = Math.floor(nowMs() / 1000);
      perSecond.set(sec, (perSecond.get(sec) ?? 0) + n);
    },
    preemption() {
      /* SGLang calls it retraction; not exposed here */
    },
    firstToken(ms) {
      ttftS.observe(ms / 1000);
    },
    interToken(ms) {
      itlS.observe(ms / 1000);
    },
    finished(info: FinishInfo) {
      if (info.reason === 'abort') {
        abortedS.inc(1);
        return;
      }
      requestsS.inc(1);
      if (info.cachedTokens > 0) cachedTokensS.inc(info.cachedTokens);
      e2eS.observe((info.finishMs - info.arrivalMs) / 1000);
    },
    render(snap, now) {
      running.set(sl, snap.running);
      queue.set(sl, snap.waiting);
      usedTokens.set(sl, snap.usedBlocks * snap.blockSize);
      tokenUsage.set(sl, snap.totalBlocks > 0 ? snap.usedBlocks / snap.totalBlocks : 0);
      hitRate.set(sl, queried > 0 ? hit / queried : 0);
      const nowSec = Math.floor(now / 1000);
      let tokens = 0;
      for (const [s, n] of perSecond) {
        if (s <= nowSec - THROUGHPUT_WINDOW_MS / 1000) perSecond.delete(s);
        else tokens += n;
      }
      genThroughput.set(sl, tokens / (THROUGHPUT_WINDOW_MS / 1000));
      return renderFamilies(families);
    },
  };
}
