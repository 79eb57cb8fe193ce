// Triton and TorchServe expositions (in the engines' documented formats) onto the normalized
// fields: gauges where they exist, Little's law over the cumulative microsecond counters where
// not; and the simulator in both modes under load, read by the same code.
import { expect } from 'chai';
import { startSimulator } from '@matrixinfer/engine-sim';
import { buildEngineSample, normalizeEngineMetrics, type EngineMetrics } from './normalize.js';
import { parsePrometheusText } from './prometheus.js';

const TRITON_TRTLLM = `# HELP nv_inference_pending_request_count Instantaneous number of pending requests awaiting execution per-model.
# TYPE nv_inference_pending_request_count gauge
nv_inference_pending_request_count{model="ensemble",version="1"} 0
nv_inference_pending_request_count{model="tensorrt_llm",version="1"} 5
# TYPE nv_trt_llm_request_metrics gauge
nv_trt_llm_request_metrics{model="tensorrt_llm",request_type="waiting",version="1"} 3
nv_trt_llm_request_metrics{model="tensorrt_llm",request_type="context",version="1"} 1
nv_trt_llm_request_metrics{model="tensorrt_llm",request_type="scheduled",version="1"} 4
nv_trt_llm_request_metrics{model="tensorrt_llm",request_type="max",version="1"} 512
nv_trt_llm_request_metrics{model="tensorrt_llm",request_type="active",version="1"} 6
# TYPE nv_trt_llm_kv_cache_block_metrics gauge
nv_trt_llm_kv_cache_block_metrics{kv_cache_block_type="max",model="tensorrt_llm",version="1"} 4000
nv_trt_llm_kv_cache_block_metrics{kv_cache_block_type="used",model="tensorrt_llm",version="1"} 1000
nv_trt_llm_kv_cache_block_metrics{kv_cache_block_type="tokens_per",model="tensorrt_llm",version="1"} 64
nv_trt_llm_kv_cache_block_metrics{kv_cache_block_type="fraction",model="tensorrt_llm",version="1"} 0.25
`;
const tritonPlain = (pending: number, computeUs: number): string => `# TYPE nv_inference_pending_request_count gauge
nv_inference_pending_request_count{model="m",version="1"} ${pending}
# TYPE nv_inference_compute_infer_duration_us counter
nv_inference_compute_infer_duration_us{model="m",version="1"} ${computeUs}
# TYPE nv_inference_request_success counter
nv_inference_request_success{model="m",version="1"} 10
`;
const torchserve = (queueUs: number, latencyUs: number): string => `# HELP ts_inference_requests_total Torchserve prometheus counter metric with unit: Count
# TYPE ts_inference_requests_total counter
ts_inference_requests_total{model_name="m",model_version="default",hostname="h",} 3.0
# TYPE ts_inference_latency_microseconds counter
ts_inference_latency_microseconds{model_name="m",model_version="default",hostname="h",} ${latencyUs}
# TYPE ts_queue_latency_microseconds counter
ts_queue_latency_microseconds{model_name="m",model_version="default",hostname="h",} ${queueUs}
`;

function metricsOf(text: string, atMs?: number): EngineMetrics {
  const n = normalizeEngineMetrics(parsePrometheusText(text), atMs);
  if (!n.valid) throw new Error(`not valid: ${n.reason}`);
  return n.metrics;
}

const EP = { id: 'ep', address: 'http://127.0.0.1:1', modelServer: 'srv', target: 'mi' };

describe('collector/normalize: Triton and TorchServe', () => {
  it('Triton with TensorRT-LLM: active, waiting and the KV gauges', () => {
    expect(metricsOf(TRITON_TRTLLM)).to.deep.equal({ engine: 'Triton', running: 6, waiting: 3, kvUsage: 0.25, kvBlocks: 4000, blockSize: 64 });
  });

  const derived: { name: string; first: string; second: string; want: { running: number; waiting: number } }[] = [
    // 1.5 s of compute over a 1 s interval: 1.5 requests computing on average.
    { name: 'Triton without TensorRT-LLM: pending gauge, running from compute time', first: tritonPlain(2, 1_000_000), second: tritonPlain(4, 2_500_000), want: { running: 1.5, waiting: 4 } },
    // 0.5 s queued and 3 s in the server (queue included) per second: 0.5 waiting, 2.5 running.
    { name: 'TorchServe: waiting from queue time, running from latency minus queue', first: torchserve(100.0, 1000.0), second: torchserve(500_100.0, 3_001_000.0), want: { running: 2.5, waiting: 0.5 } },
    { name: 'TorchServe restarted (counters went down): the new totals are the movement', first: torchserve(9e9, 9e9), second: torchserve(250_000, 1_250_000), want: { running: 1, waiting: 0.25 } },
  ];
  for (const tc of derived) {
    it(tc.name, () => {
      const a = metricsOf(tc.first, 10_000);
      const b = metricsOf(tc.second, 11_000);
      expect(buildEngineSample(EP, a, undefined, undefined, 10_000)).to.deep.include({ running: 0, waiting: a.waiting });
      expect(buildEngineSample(EP, b, a, undefined, 11_000)).to.deep.include({ engine: b.engine, ...tc.want });
    });
  }

  it('the simulators: Triton reads its queue under load; TorchServe derives a busy engine from its counters', async () => {
    const triton = await startSimulator({ engine: 'triton', profile: 'cpu-small', port: 0, model: 'm', maxNumSeqs: 1, itlMs: 5 });
    const ts = await startSimulator({ engine: 'torchserve', profile: 'cpu-small', port: 0, model: 'm', maxNumSeqs: 1, itlMs: 2 });
    try {
      const scrape = async (url: string, at: number): Promise<EngineMetrics> => metricsOf(await (await fetch(`${url}/metrics`)).text(), at);
      const post = (url: string, body: unknown): Promise<unknown> => fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }).then((r) => r.text());
      const load = [1, 2, 3].map(() => post(`${triton.url}/v2/models/m/generate`, { text_input: 'x', max_tokens: 40, ignore_eos: true }));
      await new Promise((r) => setTimeout(r, 50));
      const t = await scrape(triton.url, 0);
      expect(t).to.deep.include({ engine: 'Triton', running: 1, waiting: 2 });
      await Promise.all(load);
      const t0 = Date.now();
      const before = await scrape(ts.url, t0);
      await Promise.all([1, 2, 3].map(() => post(`${ts.url}/predictions/m`, { prompt: 'x', max_new_tokens: 20, ignore_eos: true })));
      const t1 = Date.now();
      const s = buildEngineSample(EP, await scrape(ts.url, t1), before, undefined, t1);
      expect(s.engine).to.equal('TorchServe');
      // One slot, three requests: one at a time runs, the others queue.
      expect(s.running).to.be.greaterThan(0.3);
      expect(s.waiting).to.be.greaterThan(0.3);
    } finally {
      await triton.close();
      await ts.close();
    }
  });
});
