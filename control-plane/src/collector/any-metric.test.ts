import { expect } from 'chai';
import { anyMetricValues, bucketQuantile, matchesLabels, parsePrometheusTypes, type LabelMatch, type ParsedScrape } from './any-metric.js';
import { parsePrometheusText } from './prometheus.js';

function scrape(text: string, timeMs: number): ParsedScrape {
  return { samples: parsePrometheusText(text), types: parsePrometheusTypes(text), timeMs };
}

const body = (gpu: number, tokens: number, it: { b1: number; b8: number; inf: number; sum: number }): string => `# HELP dcgm_gpu_utilization GPU utilization.
# TYPE dcgm_gpu_utilization gauge
dcgm_gpu_utilization{gpu="0"} ${gpu}
dcgm_gpu_utilization{gpu="1"} ${gpu}
# TYPE vllm:generation_tokens counter
vllm:generation_tokens_total{engine="0"} ${tokens}
vllm:generation_tokens_total{engine="1"} ${tokens}
# TYPE vllm:iteration_tokens_total histogram
vllm:iteration_tokens_total_bucket{le="1.0",engine="0"} ${it.b1}
vllm:iteration_tokens_total_bucket{le="8.0",engine="0"} ${it.b8}
vllm:iteration_tokens_total_bucket{le="+Inf",engine="0"} ${it.inf}
vllm:iteration_tokens_total_count{engine="0"} ${it.inf}
vllm:iteration_tokens_total_sum{engine="0"} ${it.sum}
# TYPE rpc_latency summary
rpc_latency{quantile="0.5"} 3
rpc_latency_sum 10
rpc_latency_count 2
`;

describe('collector any metric', () => {
  it('gauges are summed over series; counters and histograms wait for a second scrape', () => {
    const v = anyMetricValues(undefined, scrape(body(0.5, 100, { b1: 1, b8: 2, inf: 2, sum: 9 }), 1000));
    expect(v).to.deep.equal({ dcgm_gpu_utilization: 1 });
  });

  it('counter -> increase per second, histogram -> sum/s, count/s, mean and quantiles of the new observations', () => {
    const a = scrape(body(0.5, 100, { b1: 0, b8: 0, inf: 0, sum: 0 }), 1000);
    const b = scrape(body(0.25, 150, { b1: 10, b8: 30, inf: 40, sum: 200 }), 3000);
    const v = anyMetricValues(a, b);
    expect(v['dcgm_gpu_utilization']).to.equal(0.5);
    expect(v['vllm:generation_tokens_total']).to.equal(50); // two series, +50 each, over 2 s
    expect(v['vllm:iteration_tokens_total']).to.equal(100);
    expect(v['vllm:iteration_tokens_total@count']).to.equal(20);
    expect(v['vllm:iteration_tokens_total@mean']).to.equal(5);
    // rank 20 of 40: in the (1, 8] bucket, half way through its 20 observations.
    expect(v['vllm:iteration_tokens_total@p50']).to.equal(4.5);
    // rank 39.6: in +Inf, answered with the largest finite bound.
    expect(v['vllm:iteration_tokens_total@p99']).to.equal(8);
    expect(Object.keys(v).some((k) => k.startsWith('rpc_latency'))).to.equal(false);
  });

  it('a counter that went down is a restart: its new total is the increase', () => {
    const a = scrape(body(0, 1000, { b1: 5, b8: 5, inf: 5, sum: 50 }), 0);
    const b = scrape(body(0, 10, { b1: 1, b8: 1, inf: 1, sum: 1 }), 1000);
    const v = anyMetricValues(a, b);
    expect(v['vllm:generation_tokens_total']).to.equal(20);
    expect(v['vllm:iteration_tokens_total@count']).to.equal(1);
    expect(v['vllm:iteration_tokens_total@mean']).to.equal(1);
  });

  it('no observations -> mean and quantiles 0, not missing', () => {
    const x = body(0, 0, { b1: 3, b8: 3, inf: 3, sum: 3 });
    const v = anyMetricValues(scrape(x, 0), scrape(x, 1000));
    expect(v['vllm:iteration_tokens_total@mean']).to.equal(0);
    expect(v['vllm:iteration_tokens_total@p90']).to.equal(0);
  });

  it('bucketQuantile interpolates inside the first bucket from 0', () => {
    expect(bucketQuantile(0.5, new Map([[2, 10], [Infinity, 10]]))).to.equal(1);
  });

  describe('additionalMatchLabels: only series carrying every label count', () => {
    // Two models on one endpoint (vLLM labels each series with model_name), two GPUs.
    const text = (tokens: number, b1: number, inf: number, sum: number): string => `# TYPE gpu_util gauge
gpu_util{gpu="0",model_name="a"} 0.25
gpu_util{gpu="1",model_name="b"} 0.5
# TYPE host_load gauge
host_load 7
# TYPE vllm:generation_tokens counter
vllm:generation_tokens_total{engine="0",model_name="a"} ${tokens}
vllm:generation_tokens_total{engine="0",model_name="b"} ${2 * tokens}
vllm:generation_tokens_total{engine="1",model_name="a"} ${tokens}
# TYPE lat histogram
lat_bucket{le="1.0",model_name="a"} ${b1}
lat_bucket{le="+Inf",model_name="a"} ${inf}
lat_count{model_name="a"} ${inf}
lat_sum{model_name="a"} ${sum}
lat_bucket{le="1.0",model_name="b"} 100
lat_bucket{le="+Inf",model_name="b"} 100
lat_count{model_name="b"} 100
lat_sum{model_name="b"} 50
`;
    const a = scrape(text(0, 0, 0, 0), 0);
    const b = scrape(text(10, 4, 4, 2), 1000);
    const cases: { name: string; match: LabelMatch | undefined; want: Record<string, number> }[] = [
      { name: 'no match: every series', match: undefined, want: { gpu_util: 0.75, host_load: 7, 'vllm:generation_tokens_total': 40, lat: 2, 'lat@count': 4, 'lat@mean': 0.5 } },
      { name: 'empty match: every series', match: {}, want: { gpu_util: 0.75, host_load: 7, 'vllm:generation_tokens_total': 40, lat: 2, 'lat@count': 4 } },
      { name: 'one label', match: { model_name: 'a' }, want: { gpu_util: 0.25, 'vllm:generation_tokens_total': 20, lat: 2, 'lat@count': 4, 'lat@p50': 0.5 } },
      { name: 'two labels, all must match', match: { model_name: 'a', engine: '1' }, want: { 'vllm:generation_tokens_total': 10 } },
      { name: 'other model', match: { model_name: 'b' }, want: { gpu_util: 0.5, 'vllm:generation_tokens_total': 20, lat: 0, 'lat@count': 0, 'lat@mean': 0 } },
      { name: 'value nobody has', match: { model_name: 'c' }, want: {} },
    ];
    for (const tc of cases) {
      it(tc.name, () => {
        const v = anyMetricValues(a, b, tc.match);
        for (const [k, want] of Object.entries(tc.want)) expect(v[k], k).to.equal(want);
        // A family without a matching series is absent, not 0 (a policy on it reports unknown-metric).
        if (tc.match !== undefined && Object.keys(tc.match).length > 0) expect(v).to.not.have.property('host_load');
        if (Object.keys(tc.want).length === 0) expect(v).to.deep.equal({});
      });
    }
    const matchCases: { name: string; series: Record<string, string>; match: LabelMatch | undefined; target?: Record<string, string>; want: boolean }[] = [
      { name: 'a label of the series', series: { a: '1', b: '2' }, match: { a: '1' }, want: true },
      { name: 'one of two missing', series: { a: '1' }, match: { a: '1', b: '2' }, want: false },
      { name: 'exact value only', series: { a: '10' }, match: { a: '1' }, want: false },
      { name: 'no match', series: {}, match: undefined, want: true },
      { name: "a label of the replica (MatrixInfer's pod labels)", series: { gpu: '0' }, match: { role: 'server' }, target: { role: 'server' }, want: true },
      { name: 'a replica of another role', series: { gpu: '0' }, match: { role: 'server' }, target: { role: 'worker' }, want: false },
      { name: 'replica and series labels together', series: { gpu: '0' }, match: { role: 'server', gpu: '0' }, target: { role: 'server' }, want: true },
      { name: "the series' own label wins over the replica's", series: { role: 'x' }, match: { role: 'server' }, target: { role: 'server' }, want: false },
    ];
    for (const tc of matchCases) it(`matchesLabels: ${tc.name}`, () => expect(matchesLabels(tc.series, tc.match, tc.target)).to.equal(tc.want));

    it("a replica whose labels match keeps every family; one whose labels differ contributes none", () => {
      const match = { 'modelinfer.matrixinfer.ai/role': 'server' };
      expect(anyMetricValues(a, b, match, { 'modelinfer.matrixinfer.ai/role': 'server' })).to.include({ host_load: 7, gpu_util: 0.75, 'vllm:generation_tokens_total': 40 });
      expect(anyMetricValues(a, b, match, { 'modelinfer.matrixinfer.ai/role': 'worker' })).to.deep.equal({});
    });
  });
});
