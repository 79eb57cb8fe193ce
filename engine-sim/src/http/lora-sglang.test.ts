import { expect } from 'chai';
import { startSimulator, type RunningSimulator } from '../simulator.js';
import { postJson, scrape, sseData, value } from './test-helpers.js';

describe('sim LoRA adapters (vLLM mode)', () => {
  let sim: RunningSimulator;
  before(async () => {
    sim = await startSimulator({ profile: 'cpu-small', model: 'base', enableLora: true, loraModules: { sql: '/adapters/sql' }, timeScale: 20 });
  });
  after(async () => sim.close());

  it('lists adapters as their own cards with parent = base model and root = path', async () => {
    const body = (await (await fetch(`${sim.url}/v1/models`)).json()) as { data: Array<Record<string, unknown>> };
    expect(body.data.map((d) => d.id)).to.deep.equal(['base', 'sql']);
    expect(body.data[1]).to.include({ parent: 'base', root: '/adapters/sql', owned_by: 'vllm' });
  });

  it('load: 200 text, already loaded: 400 InvalidUserInput; unload unknown: 404; requests select the adapter by model', async () => {
    const ok = await postJson(`${sim.url}/v1/load_lora_adapter`, { lora_name: 'chat', lora_path: '/adapters/chat' });
    expect(ok.status).to.equal(200);
    expect(ok.text).to.equal("Success: LoRA adapter 'chat' added successfully.");
    const again = await postJson(`${sim.url}/v1/load_lora_adapter`, { lora_name: 'chat', lora_path: '/adapters/chat' });
    expect(again.status).to.equal(400);
    expect(again.json()).to.deep.equal({ error: { message: "The lora adapter 'chat' has already been loaded.", type: 'InvalidUserInput', param: null, code: 400 } });
    const gen = await postJson(`${sim.url}/v1/completions`, { model: 'chat', prompt: 'hi', max_tokens: 2 });
    expect(gen.status).to.equal(200);
    expect((gen.json() as { model: string }).model).to.equal('chat');
    const un = await postJson(`${sim.url}/v1/unload_lora_adapter`, { lora_name: 'chat' });
    expect(un.status).to.equal(200);
    expect(un.text).to.equal("Success: LoRA adapter 'chat' removed successfully.");
    const unknown = await postJson(`${sim.url}/v1/unload_lora_adapter`, { lora_name: 'chat' });
    expect(unknown.status).to.equal(404);
    expect((unknown.json() as { error: { type: string } }).error.type).to.equal('NotFoundError');
    const gone = await postJson(`${sim.url}/v1/completions`, { model: 'chat', prompt: 'hi' });
    expect(gone.status).to.equal(404);
  });

  it('exposes vllm:lora_requests_info without a model_name label', async () => {
    const m = await scrape(sim.url);
    const f = m.get('vllm:lora_requests_info')!;
    expect(f.type).to.equal('GAUGE');
    expect(f.metrics[0].labels).to.deep.equal({ max_lora: '2', waiting_lora_adapters: '', running_lora_adapters: '' });
    expect(Number(f.metrics[0].value)).to.be.greaterThan(1.7e9);
  });

  it('LoRA endpoints are absent without --enable-lora', async () => {
    const plain = await startSimulator({ profile: 'cpu-small' });
    try {
      const r = await postJson(`${plain.url}/v1/load_lora_adapter`, { lora_name: 'a', lora_path: '/a' });
      expect(r.status).to.equal(404);
    } finally {
      await plain.close();
    }
  });
});

describe('sim SGLang mode', () => {
  let sim: RunningSimulator;
  before(async () => {
    sim = await startSimulator({ engine: 'sglang', profile: 'cpu-small', model: 'qwen', enableLora: true, timeScale: 20 });
  });
  after(async () => sim.close());

  it('flat error body for a bad request', async () => {
    const r = await postJson(`${sim.url}/v1/completions`, { model: 'qwen', prompt: 'x', max_tokens: 99999 });
    expect(r.status).to.equal(400);
    const b = r.json() as Record<string, unknown>;
    expect(b).to.include({ object: 'error', type: 'BadRequest', code: 400, param: null });
    expect(b.message).to.match(/maximum context length/);
  });

  it('/health, /health_generate, /get_model_info, /get_server_info, /flush_cache', async () => {
    expect((await fetch(`${sim.url}/health`)).status).to.equal(200);
    expect((await fetch(`${sim.url}/health_generate`)).status).to.equal(200);
    const info = (await (await fetch(`${sim.url}/get_model_info`)).json()) as Record<string, unknown>;
    expect(info).to.include({ model_path: 'qwen', is_generation: true });
    const server = (await (await fetch(`${sim.url}/get_server_info`)).json()) as Record<string, unknown>;
    expect(server).to.include({ max_running_requests: 8, page_size: 16, context_length: 4096 });
    expect((await fetch(`${sim.url}/flush_cache`, { method: 'POST' })).status).to.equal(200);
    const models = (await (await fetch(`${sim.url}/v1/models`)).json()) as { data: Array<Record<string, unknown>> };
    expect(models.data[0]).to.include({ id: 'qwen', owned_by: 'sglang' });
  });

  it('LoRA load/unload at /load_lora_adapter (no /v1) with {success, error_message, loaded_adapters}', async () => {
    const ok = await postJson(`${sim.url}/load_lora_adapter`, { lora_name: 'a1', lora_path: '/p/a1' });
    expect(ok.status).to.equal(200);
    expect(ok.json()).to.deep.equal({ success: true, error_message: '', loaded_adapters: { a1: '/p/a1' } });
    const dup = await postJson(`${sim.url}/load_lora_adapter`, { lora_name: 'a1', lora_path: '/p/a1' });
    expect(dup.status).to.equal(400);
    expect(dup.json()).to.include({ success: false });
    expect((await postJson(`${sim.url}/v1/load_lora_adapter`, { lora_name: 'x', lora_path: '/x' })).status).to.equal(404);
    const gen = await postJson(`${sim.url}/v1/completions`, { model: 'qwen:a1', prompt: 'hello', max_tokens: 2 });
    expect(gen.status).to.equal(200);
    const un = await postJson(`${sim.url}/unload_lora_adapter`, { lora_name: 'a1' });
    expect(un.json()).to.deep.equal({ success: true, error_message: '', loaded_adapters: {} });
  });

  it('native /generate: non-streaming with meta_info, streaming with cumulative text and [DONE]', async () => {
    const r = await postJson(`${sim.url}/generate`, { text: 'native hello', sampling_params: { max_new_tokens: 3, ignore_eos: true } });
    expect(r.status).to.equal(200);
    const b = r.json() as { text: string; meta_info: Record<string, unknown> };
    expect(b.meta_info).to.include({ completion_tokens: 3 });
    expect(b.meta_info.finish_reason).to.deep.equal({ type: 'length', length: 3 });
    const s = await postJson(`${sim.url}/generate`, { text: 'native hello', sampling_params: { max_new_tokens: 3, ignore_eos: true }, stream: true });
    const data = sseData(s.text);
    expect(data[data.length - 1]).to.equal('[DONE]');
    const last = JSON.parse(data[data.length - 2]) as { text: string; meta_info: { finish_reason: unknown } };
    expect(last.text).to.equal(b.text);
    expect(last.meta_info.finish_reason).to.deep.equal({ type: 'length', length: 3 });
  });

  it('sglang: metric names and labels, counters match the requests', async () => {
    const r = await postJson(`${sim.url}/v1/chat/completions`, { model: 'anything', messages: [{ role: 'user', content: 'count me' }], max_tokens: 3 });
    expect(r.status).to.equal(200);
    const usage = (r.json() as { usage: { prompt_tokens: number } }).usage;
    const m = await scrape(sim.url);
    const sl = { model_name: 'qwen', engine_type: 'unified', tp_rank: '0', pp_rank: '0' };
    expect(value(m, 'sglang:num_running_reqs', sl)).to.equal(0);
    expect(value(m, 'sglang:num_queue_reqs', sl)).to.equal(0);
    expect(value(m, 'sglang:max_total_num_tokens', sl)).to.equal(512 * 16);
    expect(m.get('sglang:token_usage')?.type).to.equal('GAUGE');
    expect(m.get('sglang:cache_hit_rate')?.type).to.equal('GAUGE');
    expect(m.get('sglang:time_to_first_token_seconds')?.type).to.equal('HISTOGRAM');
    expect(m.get('sglang:inter_token_latency_seconds')?.type).to.equal('HISTOGRAM');
    expect(m.get('sglang:e2e_request_latency_seconds')?.type).to.equal('HISTOGRAM');
    // This suite sent: 1 LoRA completion (2 tokens), 2 native generates (3 + 3) and this chat (3 tokens).
    expect(value(m, 'sglang:generation_tokens_total', { model_name: 'qwen' })).to.equal(11);
    expect(value(m, 'sglang:prompt_tokens_total', { model_name: 'qwen' })).to.be.greaterThanOrEqual(usage.prompt_tokens);
    expect(value(m, 'sglang:num_requests_total', { model_name: 'qwen' })).to.equal(4);
    expect([...m.keys()].some((k) => k.startsWith('vllm:'))).to.equal(false);
  });
});
