import { expect } from 'chai';
import OpenAI from 'openai';
import { startSimulator, type RunningSimulator } from '../simulator.js';
import { postJson, scrape, sseData, value } from './test-helpers.js';

describe('sim vLLM mode over HTTP (openai client)', () => {
  let sim: RunningSimulator;
  let client: OpenAI;
  before(async () => {
    sim = await startSimulator({ profile: 'cpu-small', model: 'sim-model', timeScale: 20 });
    client = new OpenAI({ baseURL: `${sim.url}/v1`, apiKey: 'x', maxRetries: 0 });
  });
  after(async () => {
    await sim.close();
  });

  it('chat completion (non-streaming) with usage and finish_reason length', async () => {
    const r = await client.chat.completions.create({ model: 'sim-model', messages: [{ role: 'user', content: 'Hello there' }], max_tokens: 5 });
    expect(r.object).to.equal('chat.completion');
    expect(r.id).to.match(/^chatcmpl-/);
    expect(r.model).to.equal('sim-model');
    expect(r.choices[0].finish_reason).to.equal('length');
    expect(r.choices[0].message.role).to.equal('assistant');
    expect(r.usage?.completion_tokens).to.equal(5);
    const tok = await postJson(`${sim.url}/tokenize`, { messages: [{ role: 'user', content: 'Hello there' }] });
    expect(r.usage?.prompt_tokens).to.equal((tok.json() as { count: number }).count);
    expect(r.usage?.total_tokens).to.equal(r.usage!.prompt_tokens + 5);
    // The answer re-tokenizes to as many tokens as reported.
    const out = await postJson(`${sim.url}/tokenize`, { prompt: r.choices[0].message.content });
    expect((out.json() as { count: number }).count).to.equal(5);
  });

  it('same prompt -> same answer (deterministic generator)', async () => {
    const ask = async (): Promise<string | null> => (await client.completions.create({ model: 'sim-model', prompt: 'Tell me a story', max_tokens: 8 })).choices[0].text;
    expect(await ask()).to.equal(await ask());
  });

  it('without max_tokens a chat request stops naturally (finish_reason stop); ignore_eos forces max_tokens', async () => {
    const r = await client.chat.completions.create({ model: 'sim-model', messages: [{ role: 'user', content: 'natural stop' }] });
    expect(r.choices[0].finish_reason).to.equal('stop');
    expect(r.usage!.completion_tokens).to.be.within(8, 24);
    const forced = await postJson(`${sim.url}/v1/chat/completions`, { model: 'sim-model', messages: [{ role: 'user', content: 'natural stop' }], max_tokens: 40, ignore_eos: true });
    const fb = forced.json() as { choices: Array<{ finish_reason: string }>; usage: { completion_tokens: number } };
    expect(fb.choices[0].finish_reason).to.equal('length');
    expect(fb.usage.completion_tokens).to.equal(40);
  });

  it('streaming chat with include_usage: role chunk, content chunks with usage null, usage chunk, [DONE]', async () => {
    const stream = await client.chat.completions.create({
      model: 'sim-model', messages: [{ role: 'user', content: 'stream please' }], max_tokens: 4, stream: true, stream_options: { include_usage: true },
    });
    const chunks = [];
    for await (const c of stream) chunks.push(c);
    expect(chunks[0].choices[0].delta.role).to.equal('assistant');
    const content = chunks.filter((c) => c.choices.length > 0 && c.choices[0].delta.content);
    expect(content).to.have.length(4);
    expect(content[3].choices[0].finish_reason).to.equal('length');
    const last = chunks[chunks.length - 1];
    expect(last.choices).to.deep.equal([]);
    expect(last.usage?.completion_tokens).to.equal(4);
    for (const c of chunks.slice(0, -1)) expect(c.usage).to.equal(null);
  });

  it('stream_options.continuous_usage_stats: every chunk carries the usage so far', async () => {
    const r = await postJson(`${sim.url}/v1/completions`, { model: 'sim-model', prompt: 'abc', max_tokens: 3, stream: true, stream_options: { include_usage: true, continuous_usage_stats: true } });
    const chunks = sseData(r.text).slice(0, -1).map((d) => JSON.parse(d) as { usage: { completion_tokens: number; prompt_tokens: number } });
    expect(chunks.map((c) => c.usage.completion_tokens)).to.deep.equal([1, 2, 3, 3]);
  });

  it('streaming completions over raw SSE ends with data: [DONE]', async () => {
    const r = await postJson(`${sim.url}/v1/completions`, { model: 'sim-model', prompt: 'abc', max_tokens: 3, stream: true });
    expect(r.status).to.equal(200);
    expect(r.headers.get('content-type')).to.match(/^text\/event-stream/);
    const data = sseData(r.text);
    expect(data[data.length - 1]).to.equal('[DONE]');
    const chunks = data.slice(0, -1).map((d) => JSON.parse(d) as { object: string; choices: Array<{ text: string; finish_reason: string | null }>; usage?: unknown });
    expect(chunks).to.have.length(3);
    expect(chunks.every((c) => c.object === 'text_completion' && !('usage' in c))).to.equal(true);
    expect(chunks[2].choices[0].finish_reason).to.equal('length');
  });

  const errorCases = [
    { name: 'unknown model -> 404 NotFoundError', body: { model: 'nope', prompt: 'x' }, status: 404, type: 'NotFoundError', param: 'model', msg: 'The model `nope` does not exist.' },
    { name: 'prompt + max_tokens > max-model-len -> 400', body: { model: 'sim-model', prompt: 'x', max_tokens: 5000 }, status: 400, type: 'BadRequestError', param: null, msg: /maximum context length is 4096 tokens/ },
    { name: 'stream_options without stream -> 400', body: { model: 'sim-model', prompt: 'x', stream_options: { include_usage: true } }, status: 400, type: 'BadRequestError', param: 'stream_options', msg: /only be defined when `stream=True`/ },
  ];
  for (const tc of errorCases) {
    it(tc.name, async () => {
      const r = await postJson(`${sim.url}/v1/completions`, tc.body);
      expect(r.status).to.equal(tc.status);
      const e = (r.json() as { error: { message: string; type: string; param: string | null; code: number } }).error;
      expect(e.type).to.equal(tc.type);
      expect(e.param).to.equal(tc.param);
      expect(e.code).to.equal(tc.status);
      if (typeof tc.msg === 'string') expect(e.message).to.equal(tc.msg);
      else expect(e.message).to.match(tc.msg);
    });
  }

  it('malformed JSON -> 400 with the nested error body', async () => {
    const res = await fetch(`${sim.url}/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{nope' });
    expect(res.status).to.equal(400);
    const b = (await res.json()) as { error: { code: number } };
    expect(b.error.code).to.equal(400);
  });

  it('/health 200 empty, /v1/models lists the base model card', async () => {
    const h = await fetch(`${sim.url}/health`);
    expect(h.status).to.equal(200);
    expect(await h.text()).to.equal('');
    const models = await client.models.list();
    const card = models.data[0] as unknown as Record<string, unknown>;
    expect(card).to.include({ id: 'sim-model', object: 'model', owned_by: 'vllm', root: 'sim-model', parent: null, max_model_len: 4096 });
  });

  it('/detokenize inverts /tokenize', async () => {
    const t = await postJson(`${sim.url}/tokenize`, { prompt: 'round trip, please' });
    const body = t.json() as { tokens: number[]; count: number; max_model_len: number };
    expect(body.count).to.equal(body.tokens.length);
    expect(body.max_model_len).to.equal(4096);
    const d = await postJson(`${sim.url}/detokenize`, { tokens: body.tokens });
    expect((d.json() as { prompt: string }).prompt).to.equal('round trip, please');
  });

  it('metrics counters agree with the requests this suite sent', async () => {
    const iterationSum = async (): Promise<number> => {
      const text = await (await fetch(`${sim.url}/metrics`)).text();
      const m = /^vllm:iteration_tokens_total_sum\{model_name="sim-model",engine="0"\} (\S+)$/m.exec(text);
      expect(m, 'vllm:iteration_tokens_total_sum').to.not.equal(null);
      return Number(m![1]);
    };
    const iter0 = await iterationSum();
    const before = await scrape(sim.url);
    const l = { model_name: 'sim-model', engine: '0' };
    const p0 = value(before, 'vllm:prompt_tokens_total', l);
    const g0 = value(before, 'vllm:generation_tokens_total', l);
    const len0 = value(before, 'vllm:request_success_total', { ...l, finished_reason: 'length' });
    let prompt = 0;
    for (const text of ['one', 'two two', 'three three three']) {
      const r = await client.completions.create({ model: 'sim-model', prompt: text, max_tokens: 3 });
      prompt += r.usage!.prompt_tokens;
    }
    const after = await scrape(sim.url);
    expect(value(after, 'vllm:prompt_tokens_total', l) - p0).to.equal(prompt);
    expect(value(after, 'vllm:generation_tokens_total', l) - g0).to.equal(9);
    expect(value(after, 'vllm:request_success_total', { ...l, finished_reason: 'length' }) - len0).to.equal(3);
    // Every prompt and generated token is counted in some engine step.
    expect((await iterationSum()) - iter0).to.equal(prompt + 9);
    expect(value(after, 'vllm:num_requests_running', l)).to.equal(0);
    for (const [name, type] of [['vllm:num_requests_waiting', 'GAUGE'], ['vllm:kv_cache_usage_perc', 'GAUGE'], ['vllm:prefix_cache_queries_total', 'COUNTER'],
      ['vllm:prefix_cache_hits_total', 'COUNTER'], ['vllm:time_to_first_token_seconds', 'HISTOGRAM'], ['vllm:inter_token_latency_seconds', 'HISTOGRAM'],
      ['vllm:e2e_request_latency_seconds', 'HISTOGRAM'], ['vllm:request_queue_time_seconds', 'HISTOGRAM'], ['vllm:cache_config_info', 'GAUGE'], ['vllm:iteration_tokens_total', 'HISTOGRAM']] as const) {
      expect(after.get(name)?.type, name).to.equal(type);
    }
    expect(after.has('vllm:gpu_cache_usage_perc')).to.equal(false);
    // parse-prometheus-text-format folds labelled histograms into one sample without labels or
    // count, so the buckets come from the parser and the labelled _count line from the raw text.
    const ttft = after.get('vllm:time_to_first_token_seconds')!.metrics[0];
    expect(Object.keys(ttft.buckets!)).to.include.members(['0.001', '0.06', '2560.0', '+Inf']);
    const raw = await (await fetch(`${sim.url}/metrics`)).text();
    expect(raw).to.match(/^vllm:time_to_first_token_seconds_count\{model_name="sim-model",engine="0"\} [1-9]\d*\.0$/m);
    expect(after.get('vllm:cache_config_info')!.metrics[0].labels).to.include({ block_size: '16', num_gpu_blocks: '512', enable_prefix_caching: 'True' });
  });
});

describe('sim vLLM --legacy-metric-names', () => {
  it('also exposes the pre-0.9 gpu_cache_usage_perc and gpu_prefix_cache_* families with the same values', async () => {
    const sim = await startSimulator({ profile: 'cpu-small', legacyMetricNames: true, timeScale: 20 });
    try {
      const prompt = 'x '.repeat(100);
      for (let i = 0; i < 2; i++) await postJson(`${sim.url}/v1/completions`, { model: 'sim-small', prompt, max_tokens: 1 });
      const m = await scrape(sim.url);
      const l = { model_name: 'sim-small', engine: '0' };
      expect(m.get('vllm:gpu_cache_usage_perc')?.type).to.equal('GAUGE');
      expect(value(m, 'vllm:gpu_prefix_cache_queries_total', l)).to.equal(value(m, 'vllm:prefix_cache_queries_total', l));
      expect(value(m, 'vllm:gpu_prefix_cache_hits_total', l)).to.equal(value(m, 'vllm:prefix_cache_hits_total', l));
      expect(value(m, 'vllm:prefix_cache_hits_total', l)).to.be.greaterThan(0);
      expect(m.get('vllm:time_per_output_token_seconds')?.type).to.equal('HISTOGRAM');
    } finally {
      await sim.close();
    }
  });
});
