import { expect } from 'chai';
import { startSimulator, type RunningSimulator } from '../simulator.js';
import { postJson, scrape, sseData, until, value } from './test-helpers.js';

describe('sim prefill/decode disaggregation', () => {
  const sims: RunningSimulator[] = [];
  after(async () => {
    await Promise.all(sims.map((s) => s.close()));
  });
  const start = async (o: Parameters<typeof startSimulator>[0]): Promise<RunningSimulator> => {
    const s = await startSimulator(o);
    sims.push(s);
    return s;
  };

  it('vLLM NIXL: prefill returns kv_transfer_params, decode accepts them and charges transfer instead of prefill', async () => {
    const common = { profile: 'cpu-small', model: 'm', prefillOverheadMs: 20, prefillMsPerToken: 1, kvTransferMsPerBlock: 0.1, timeScale: 20 };
    const prefill = await start({ ...common, role: 'prefill' });
    const decode = await start({ ...common, role: 'decode' });
    const prompt = Array.from({ length: 300 }, (_, i) => `w${i}`).join(' ');
    const p = await postJson(`${prefill.url}/v1/completions`, {
      model: 'm', prompt, max_tokens: 1, stream: false,
      kv_transfer_params: { do_remote_decode: true, do_remote_prefill: false, remote_engine_id: null, remote_block_ids: null, remote_host: null, remote_port: null },
    }, { 'x-request-id': 'pd-1' });
    expect(p.status).to.equal(200);
    const pb = p.json() as { kv_transfer_params: Record<string, unknown>; usage: { completion_tokens: number; prompt_tokens: number } };
    expect(pb.usage.completion_tokens).to.equal(1);
    const kvp = pb.kv_transfer_params;
    expect(kvp).to.include({ do_remote_prefill: true, do_remote_decode: false, remote_host: '127.0.0.1', tp_size: 1 });
    expect(kvp.remote_engine_id).to.be.a('string');
    expect(kvp.remote_request_id).to.be.a('string');
    expect(kvp.remote_port).to.be.a('number');
    expect(kvp.remote_block_ids).to.have.length(Math.ceil(pb.usage.prompt_tokens / 16));

    const d = await postJson(`${decode.url}/v1/completions`, { model: 'm', prompt, max_tokens: 5, stream: true, kv_transfer_params: kvp }, { 'x-request-id': 'pd-1' });
    expect(d.status).to.equal(200);
    const data = sseData(d.text);
    expect(data[data.length - 1]).to.equal('[DONE]');
    expect(data).to.have.length(6);
    // Decode TTFT ~ blocks * 0.1 ms, far below prefill's 20 + tokens * 1 ms (model time).
    const ttftSum = async (url: string): Promise<number> => Number(/^vllm:time_to_first_token_seconds_sum\{[^}]*\} (\S+)$/m.exec(await (await fetch(`${url}/metrics`)).text())![1]);
    const prefillTtft = await ttftSum(prefill.url);
    const decodeTtft = await ttftSum(decode.url);
    expect(prefillTtft).to.be.greaterThan(0.3);
    expect(decodeTtft).to.be.lessThan(prefillTtft / 10);
    const dm = await scrape(decode.url);
    expect(value(dm, 'vllm:generation_tokens_total', { model_name: 'm', engine: '0' })).to.equal(5);
    // The decode side told the prefill engine its KV was pulled: the held blocks are free again.
    await until(async () => value(await scrape(prefill.url), 'vllm:kv_cache_usage_perc', { model_name: 'm' }) === 0, 3000, 'prefill KV release');
  });

  it('vLLM NIXL: the prefill engine holds the KV blocks until pulled, or until --kv-hold-timeout-ms', async () => {
    const prefill = await start({ profile: 'cpu-small', role: 'prefill', kvHoldTimeoutMs: 300, timeScale: 1 });
    const r = await postJson(`${prefill.url}/v1/completions`, { model: 'sim-small', prompt: 'hold my blocks please', max_tokens: 1, kv_transfer_params: { do_remote_decode: true } });
    expect(r.status).to.equal(200);
    const m = await scrape(prefill.url);
    expect(value(m, 'vllm:num_requests_running', {})).to.equal(0);
    expect(value(m, 'vllm:kv_cache_usage_perc', {})).to.be.greaterThan(0);
    await until(async () => value(await scrape(prefill.url), 'vllm:kv_cache_usage_perc', {}) === 0, 3000, 'hold timeout');
  });

  it('vLLM: PD fields sent to the wrong role are rejected with 400', async () => {
    const decode = await start({ profile: 'cpu-small', role: 'decode' });
    const r = await postJson(`${decode.url}/v1/completions`, { model: 'sim-small', prompt: 'x', max_tokens: 1, kv_transfer_params: { do_remote_decode: true } });
    expect(r.status).to.equal(400);
    const bad = await postJson(`${decode.url}/v1/completions`, { model: 'sim-small', prompt: 'x', kv_transfer_params: { do_remote_prefill: true } });
    expect(bad.status).to.equal(400);
    expect((bad.json() as { error: { param: string } }).error.param).to.equal('kv_transfer_params');
  });

  it('SGLang: prefill and decode arrive concurrently and meet by bootstrap room; decode waits for prefill', async () => {
    const common = { engine: 'sglang' as const, profile: 'cpu-small', model: 'q', prefillOverheadMs: 200, timeScale: 10, bootstrapPort: 0 };
    const prefill = await start({ ...common, role: 'prefill' });
    const decode = await start({ ...common, role: 'decode' });
    expect(prefill.bootstrapPort).to.not.equal(prefill.port);
    const body = { model: 'q', prompt: 'disaggregated hello', max_tokens: 4, bootstrap_host: '127.0.0.1', bootstrap_port: prefill.bootstrapPort, bootstrap_room: 123456789 };
    const t0 = performance.now();
    // Decode is sent first: it must wait for the prefill of its room (~200 model ms = 20 real ms).
    const dP = postJson(`${decode.url}/v1/completions`, body);
    await new Promise((r) => setTimeout(r, 20));
    const pP = postJson(`${prefill.url}/v1/completions`, body);
    const [d, p] = await Promise.all([dP, pP]);
    expect(p.status).to.equal(200);
    expect((p.json() as { usage: { completion_tokens: number } }).usage.completion_tokens).to.equal(1);
    expect(d.status).to.equal(200);
    expect((d.json() as { usage: { completion_tokens: number } }).usage.completion_tokens).to.equal(4);
    expect(performance.now() - t0).to.be.greaterThan(35);
    const m = await scrape(decode.url);
    expect(value(m, 'sglang:num_running_reqs', { engine_type: 'decode' })).to.equal(0);
    // The decode's TTFT includes waiting for the prefill (>= 200 model ms of prefill overhead).
    const raw = await (await fetch(`${decode.url}/metrics`)).text();
    expect(Number(/^sglang:time_to_first_token_seconds_sum\{[^}]*\} (\S+)$/m.exec(raw)![1])).to.be.greaterThan(0.2);
  });

  it('SGLang: an explicit --bootstrap-port that is taken fails the start loudly', async () => {
    const other = await start({ profile: 'cpu-small' });
    let error: unknown;
    await startSimulator({ engine: 'sglang', profile: 'cpu-small', role: 'prefill', bootstrapPort: other.port }).catch((e: unknown) => { error = e; });
    expect((error as { code?: string }).code).to.equal('EADDRINUSE');
  });

  it('SGLang: a decode whose prefill never comes fails after the bootstrap timeout', async () => {
    const prefill = await start({ engine: 'sglang', profile: 'cpu-small', role: 'prefill', bootstrapPort: 0 });
    const decode = await start({ engine: 'sglang', profile: 'cpu-small', role: 'decode', bootstrapTimeoutMs: 100 });
    const r = await postJson(`${decode.url}/v1/completions`, { model: 'x', prompt: 'lonely', max_tokens: 2, bootstrap_host: '127.0.0.1', bootstrap_port: prefill.bootstrapPort, bootstrap_room: 42 });
    expect(r.status).to.equal(500);
    expect(r.json()).to.include({ object: 'error', code: 500 });
  });
});
