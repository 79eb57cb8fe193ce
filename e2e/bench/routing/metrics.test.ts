import { expect } from 'chai';
import { diffCounters, histogramQuantile, parseEngineCounters, quantile } from './metrics.js';

const body = (hits: number, queries: number, b: [string, number][], running = 0) => `# HELP x
vllm:num_requests_running{model_name="m",engine="0"} ${running}.0
vllm:num_requests_waiting{model_name="m",engine="0"} 2.0
vllm:prefix_cache_queries_total{model_name="m",engine="0"} ${queries}.0
vllm:prefix_cache_hits_total{model_name="m",engine="0"} ${hits}.0
vllm:generation_tokens_total{model_name="m",engine="0"} ${hits * 2}.0
${b.map(([le, n]) => `vllm:time_to_first_token_seconds_bucket{le="${le}",model_name="m",engine="0"} ${n}.0`).join('\n')}
vllm:time_to_first_token_seconds_count{model_name="m",engine="0"} ${b[b.length - 1][1]}.0
vllm:time_to_first_token_seconds_sum{model_name="m",engine="0"} 1.5
`;

describe('routing bench metrics', () => {
  it('parses the vLLM counters and the TTFT histogram of a /metrics body', () => {
    const c = parseEngineCounters(body(30, 100, [['0.1', 1], ['1.0', 3], ['+Inf', 4]], 5));
    expect(c).to.deep.include({ running: 5, waiting: 2, prefixQueries: 100, prefixHits: 30, generationTokens: 60, ttftCount: 4, ttftSum: 1.5 });
    expect(c.ttftBuckets).to.deep.equal([[0.1, 1], [1, 3], [Infinity, 4]]);
  });

  it('sums per-engine deltas over a run', () => {
    const before = [parseEngineCounters(body(10, 100, [['0.1', 1], ['+Inf', 1]])), parseEngineCounters(body(0, 0, [['0.1', 0], ['+Inf', 0]]))];
    const after = [parseEngineCounters(body(40, 200, [['0.1', 3], ['+Inf', 4]])), parseEngineCounters(body(50, 100, [['0.1', 1], ['+Inf', 2]]))];
    const d = diffCounters(before, after);
    expect([d.prefixHits, d.prefixQueries, d.generationTokens, d.ttftCount]).to.deep.equal([80, 200, 160, 5]);
    expect(d.ttftBuckets).to.deep.equal([[0.1, 3], [Infinity, 5]]);
  });

  it('interpolates histogram quantiles inside a bucket', () => {
    const b: [number, number][] = [[0.1, 50], [0.5, 90], [1, 100], [Infinity, 100]];
    expect(histogramQuantile(b, 0.5)).to.be.closeTo(0.1, 1e-9);
    expect(histogramQuantile(b, 0.7)).to.be.closeTo(0.3, 1e-9);
    expect(histogramQuantile(b, 0.95)).to.be.closeTo(0.75, 1e-9);
    expect(Number.isNaN(histogramQuantile([[1, 0], [Infinity, 0]], 0.5))).to.equal(true);
  });

  it('takes nearest-rank quantiles of samples', () => {
    const s = Array.from({ length: 100 }, (_, i) => 100 - i);
    expect([quantile(s, 0.5), quantile(s, 0.99), quantile(s, 1)]).to.deep.equal([50, 99, 100]);
    expect(Number.isNaN(quantile([], 0.5))).to.equal(true);
  });
});
