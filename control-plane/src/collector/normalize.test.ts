import { expect } from 'chai';
import { buildEngineSample, detectEngine, histogramDelta, normalizeEngineMetrics, parseAdapters, type EngineMetrics } from './normalize.js';
import { parsePrometheusText } from './prometheus.js';
import { SGLANG, VLLM_LEGACY, VLLM_MODELS_WITH_LORA, VLLM_V1 } from './fixtures.js';

function metricsOf(text: string): EngineMetrics {
  const n = normalizeEngineMetrics(parsePrometheusText(text));
  if (!n.valid) throw new Error(`not valid: ${n.reason}`);
  return n.metrics;
}

describe('collector/normalizeEngineMetrics', () => {
  const cases: { name: string; text: string; want: EngineMetrics }[] = [
    {
      name: 'vLLM V1 names',
      text: VLLM_V1,
      want: {
        engine: 'vLLM', running: 3, waiting: 2, kvUsage: 0.4375, kvBlocks: 27264, blockSize: 16,
        promptTokensTotal: 12800, generationTokensTotal: 2048, prefixCacheQueriesTotal: 12800, prefixCacheHitsTotal: 4096,
        ttft: { sumSeconds: 3.2, count: 40 }, itl: { sumSeconds: 24.096, count: 2008 },
      },
    },
    {
      name: 'legacy vLLM names (gpu_cache_usage_perc, gpu_prefix_cache_*, time_per_output_token)',
      text: VLLM_LEGACY,
      want: {
        engine: 'vLLM', running: 1, waiting: 0, kvUsage: 0.125, kvBlocks: 2048, blockSize: 32,
        prefixCacheQueriesTotal: 640, prefixCacheHitsTotal: 320,
        ttft: { sumSeconds: 0.5, count: 5 }, itl: { sumSeconds: 1.9, count: 95 },
      },
    },
    {
      name: 'SGLang names, tensor-parallel duplicates counted once',
      text: SGLANG,
      want: {
        engine: 'SGLang', running: 4, waiting: 7, kvUsage: 0.62, kvBlocks: 163840, blockSize: 1,
        promptTokensTotal: 90000, generationTokensTotal: 15000,
        ttft: { sumSeconds: 4.5, count: 60 }, itl: { sumSeconds: 150, count: 15000 },
      },
    },
    {
      name: 'vLLM data parallel: engines add up, KV usage averages',
      text: 'vllm:num_requests_running{engine="0"} 2\nvllm:num_requests_running{engine="1"} 3\nvllm:kv_cache_usage_perc{engine="0"} 0.2\nvllm:kv_cache_usage_perc{engine="1"} 0.4\n',
      want: { engine: 'vLLM', running: 5, waiting: 0, kvUsage: 0.30000000000000004 },
    },
    {
      name: 'V1 name wins when both old and new are exposed',
      text: 'vllm:kv_cache_usage_perc 0.5\nvllm:gpu_cache_usage_perc 0.9\n',
      want: { engine: 'vLLM', running: 0, waiting: 0, kvUsage: 0.5 },
    },
    {
      name: 'SGLang without token_usage: used / max tokens; cached_tokens_total gives prefix counters',
      text: 'sglang:num_used_tokens 250\nsglang:max_total_num_tokens 1000\nsglang:prompt_tokens_total 80\nsglang:cached_tokens_total 20\n',
      want: { engine: 'SGLang', running: 0, waiting: 0, kvUsage: 0.25, kvBlocks: 1000, blockSize: 1, promptTokensTotal: 80, prefixCacheQueriesTotal: 80, prefixCacheHitsTotal: 20 },
    },
    {
      name: 'KV usage outside 0-1 is clamped; NaN gauges ignored',
      text: 'vllm:kv_cache_usage_perc 1.7\nvllm:num_requests_running NaN\n',
      want: { engine: 'vLLM', running: 0, waiting: 0, kvUsage: 1 },
    },
  ];
  for (const tc of cases) {
    it(tc.name, () => {
      expect(metricsOf(tc.text)).to.deep.equal(tc.want);
    });
  }

  it('says it cannot decide when no engine metric is present', () => {
    expect(normalizeEngineMetrics(parsePrometheusText('process_cpu_seconds_total 1\npython_info{version="3.12"} 1\n'))).to.deep.equal({ valid: false, reason: 'no-engine-metrics' });
    expect(detectEngine([])).to.equal(undefined);
  });
});

describe('collector/histogramDelta', () => {
  const cases = [
    { name: 'no previous scrape: no window yet', prev: undefined, cur: { sumSeconds: 1, count: 2 }, want: undefined },
    { name: 'no current histogram', prev: { sumSeconds: 1, count: 2 }, cur: undefined, want: undefined },
    { name: 'movement between scrapes', prev: { sumSeconds: 1, count: 2 }, cur: { sumSeconds: 1.5, count: 7 }, want: { sumSeconds: 0.5, count: 5 } },
    { name: 'no movement', prev: { sumSeconds: 1, count: 2 }, cur: { sumSeconds: 1, count: 2 }, want: { sumSeconds: 0, count: 0 } },
    { name: 'engine restarted (count went down): new totals are the delta', prev: { sumSeconds: 9, count: 90 }, cur: { sumSeconds: 0.3, count: 3 }, want: { sumSeconds: 0.3, count: 3 } },
  ];
  for (const tc of cases) {
    it(tc.name, () => {
      expect(histogramDelta(tc.prev, tc.cur)).to.deep.equal(tc.want);
    });
  }
});

describe('collector/parseAdapters and buildEngineSample', () => {
  it('lists the adapter cards of /v1/models, not the base model', () => {
    expect(parseAdapters(VLLM_MODELS_WITH_LORA)).to.deep.equal(['sql-lora']);
    expect(parseAdapters({ object: 'list', data: [{ id: 'm', parent: null }] })).to.deep.equal([]);
    expect(parseAdapters('nonsense')).to.deep.equal([]);
    expect(parseAdapters(null)).to.deep.equal([]);
  });

  it('builds a sample with deltas against the previous scrape', () => {
    const prev = metricsOf(VLLM_V1);
    const cur: EngineMetrics = { ...prev, running: 1, ttft: { sumSeconds: 4.2, count: 50 }, itl: { sumSeconds: 25.096, count: 2108 } };
    const ep = { id: 'mi1-0-leader-0-0', address: 'http://127.0.0.1:9', modelServer: 'ms', target: 'mi1' };
    const sample = buildEngineSample(ep, cur, prev, ['sql-lora'], 1_000);
    expect(sample).to.deep.include({ endpoint: 'mi1-0-leader-0-0', address: 'http://127.0.0.1:9', modelServer: 'ms', target: 'mi1', engine: 'vLLM', timeMs: 1_000, running: 1, adapters: ['sql-lora'] });
    expect(sample.ttft!.count).to.equal(10);
    expect(sample.ttft!.sumSeconds).to.be.closeTo(1, 1e-9);
    expect(sample.itl!.count).to.equal(100);
    const first = buildEngineSample(ep, prev, undefined, undefined, 0);
    expect(first).to.not.have.property('ttft');
    expect(first).to.not.have.property('adapters');
  });
});
