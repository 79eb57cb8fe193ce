// Triton mode on the wire: KServe v2 health and metadata, the generate extension (JSON and SSE
// with no [DONE]), the vLLM backend's optional outputs, {"error"} bodies, nv_inference_* and
// nv_trt_llm_* metrics.
import { expect } from 'chai';
import { startSimulator, type RunningSimulator } from '../simulator.js';
import { postJson, scrape, sseData, value } from './test-helpers.js';

describe('sim Triton mode over HTTP', () => {
  let sim: RunningSimulator;
  before(async () => {
    sim = await startSimulator({ engine: 'triton', profile: 'cpu-small', model: 'llama', timeScale: 20 });
  });
  after(async () => {
    await sim.close();
  });

  it('health, server and model metadata, repository index', async () => {
    for (const p of ['/v2/health/live', '/v2/health/ready', '/v2/models/llama/ready']) expect((await fetch(`${sim.url}${p}`)).status, p).to.equal(200);
    const meta = (await (await fetch(`${sim.url}/v2`)).json()) as { name: string; extensions: string[] };
    expect(meta.name).to.equal('triton');
    expect(meta.extensions).to.include('generate');
    const model = (await (await fetch(`${sim.url}/v2/models/llama`)).json()) as { name: string; versions: string[] };
    expect(model).to.deep.include({ name: 'llama', versions: ['1'] });
    const index = await postJson(`${sim.url}/v2/repository/index`, {});
    expect(index.json()).to.deep.equal([{ name: 'llama', version: '1', state: 'READY' }]);
    expect((await fetch(`${sim.url}/v1/chat/completions`, { method: 'POST', body: '{}' })).status).to.equal(404);
  });

  it('generate: one JSON object; parameters.max_tokens; optional outputs when asked', async () => {
    const plain = await postJson(`${sim.url}/v2/models/llama/generate`, { text_input: 'Hello there', parameters: { max_tokens: 5 } });
    expect(plain.status).to.equal(200);
    expect(plain.headers.get('content-type')).to.equal('application/json');
    const body = plain.json() as Record<string, unknown>;
    expect(Object.keys(body)).to.deep.equal(['model_name', 'model_version', 'text_output']);
    expect(body).to.deep.include({ model_name: 'llama', model_version: '1' });
    const asked = await postJson(`${sim.url}/v2/models/llama/versions/1/generate`, {
      text_input: 'Hello there', sampling_parameters: JSON.stringify({ max_tokens: 5 }), return_finish_reason: true, return_num_input_tokens: true, return_num_output_tokens: true,
    });
    const a = asked.json() as Record<string, unknown>;
    expect(a.text_output).to.equal(body.text_output);
    expect(a).to.deep.include({ finish_reason: 'length', num_output_tokens: 5 });
    expect(a.num_input_tokens).to.be.a('number').greaterThan(0);
  });

  it('generate_stream: SSE, one event per token with its delta, the finish reason on the last, no [DONE]', async () => {
    const r = await postJson(`${sim.url}/v2/models/llama/generate_stream`, { text_input: 'stream please', max_tokens: 4, return_finish_reason: true, return_num_output_tokens: true });
    expect(r.status).to.equal(200);
    expect(r.headers.get('content-type')).to.equal('text/event-stream; charset=utf-8');
    const events = sseData(r.text).map((d) => JSON.parse(d) as Record<string, unknown>);
    expect(events).to.have.length(4);
    expect(events.every((e) => e.model_name === 'llama' && e.num_output_tokens === 1)).to.equal(true);
    expect(events.slice(0, 3).some((e) => 'finish_reason' in e)).to.equal(false);
    expect(events[3].finish_reason).to.equal('length');
    expect(r.text).to.not.include('[DONE]');
    const whole = (await postJson(`${sim.url}/v2/models/llama/generate`, { text_input: 'stream please', max_tokens: 4 })).json() as { text_output: string };
    expect(events.map((e) => e.text_output).join('')).to.equal(whole.text_output);
  });

  it('errors are {"error": message}: unknown model 404, no text_input 400, mid-stream failure as an SSE error event', async () => {
    const unknown = await postJson(`${sim.url}/v2/models/nope/generate`, { text_input: 'x' });
    expect(unknown.status).to.equal(404);
    expect(unknown.json()).to.deep.equal({ error: "Request for unknown model: 'nope' is not found" });
    const bad = await postJson(`${sim.url}/v2/models/llama/generate`, { prompt: 'x' });
    expect(bad.status).to.equal(400);
    expect(Object.keys(bad.json() as object)).to.deep.equal(['error']);
    const fail = await postJson(`${sim.url}/v2/models/llama/generate_stream`, { text_input: 'x', max_tokens: 6 }, { 'x-sim-fail-after-tokens': '2' });
    const events = sseData(fail.text).map((d) => JSON.parse(d) as Record<string, unknown>);
    expect(events).to.have.length(3);
    expect(events[2]).to.have.keys(['error']);
  });

  it('metrics: nv_inference_* per model and version, TensorRT-LLM batch and KV gauges', async () => {
    const m = await scrape(sim.url);
    const lbl = { model: 'llama', version: '1' };
    expect(value(m, 'nv_inference_request_success', lbl)).to.be.at.least(3);
    expect(value(m, 'nv_inference_request_failure', lbl)).to.be.at.least(1);
    expect(value(m, 'nv_inference_pending_request_count', lbl)).to.equal(0);
    expect(value(m, 'nv_inference_request_duration_us', lbl)).to.be.greaterThan(0);
    expect(m.get('nv_inference_queue_duration_us')?.type).to.equal('COUNTER');
    expect(value(m, 'nv_trt_llm_request_metrics', { request_type: 'max' })).to.equal(8);
    expect(value(m, 'nv_trt_llm_request_metrics', { request_type: 'waiting' })).to.equal(0);
    expect(value(m, 'nv_trt_llm_kv_cache_block_metrics', { kv_cache_block_type: 'max' })).to.equal(512);
    const text = await (await fetch(`${sim.url}/metrics`)).text();
    expect(text).to.match(/^nv_inference_request_success\{model="llama",version="1"\} \d+$/m);
  });
});
