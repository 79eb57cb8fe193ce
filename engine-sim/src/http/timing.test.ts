import { expect } from 'chai';
import { startSimulator, type RunningSimulator } from '../simulator.js';
import { postJson, scrape, until, value } from './test-helpers.js';

const L = { model_name: 'sim-small', engine: '0' };

/** Streams a completion and returns the real ms until the first content chunk, then drains it. */
async function streamTtft(url: string, prompt: string, maxTokens: number, signal?: AbortSignal): Promise<number> {
  const t0 = performance.now();
  const res = await fetch(`${url}/v1/completions`, {
    method: 'POST', headers: { 'content-type': 'application/json' }, signal,
    body: JSON.stringify({ model: 'sim-small', prompt, max_tokens: maxTokens, stream: true, ignore_eos: true }),
  });
  const reader = res.body!.getReader();
  let ttft = -1;
  for (;;) {
    const { done } = await reader.read();
    if (ttft < 0) ttft = performance.now() - t0;
    if (done) return ttft;
  }
}

describe('sim timing model over HTTP', () => {
  let sim: RunningSimulator | undefined;
  afterEach(async () => {
    await sim?.close();
    sim = undefined;
  });

  it('the same long prompt twice: much lower TTFT the second time, explained by prefix-cache hits', async () => {
    sim = await startSimulator({ profile: 'cpu-small', prefillOverheadMs: 2, prefillMsPerToken: 1, timeScale: 4, enablePromptTokensDetails: true });
    const url = sim.url;
    const ttftSum = async (): Promise<number> => Number(/^vllm:time_to_first_token_seconds_sum\{[^}]*\} (\S+)$/m.exec(await (await fetch(`${url}/metrics`)).text())![1]);
    const prompt = Array.from({ length: 600 }, (_, i) => `word${i}`).join(' ');
    const s0 = await ttftSum();
    const first = await streamTtft(url, prompt, 2);
    const m1 = await scrape(url);
    const s1 = await ttftSum();
    const second = await streamTtft(url, prompt, 2);
    const m2 = await scrape(url);
    const s2 = await ttftSum();
    const queries = value(m2, 'vllm:prefix_cache_queries_total', L) - value(m1, 'vllm:prefix_cache_queries_total', L);
    const hits = value(m2, 'vllm:prefix_cache_hits_total', L) - value(m1, 'vllm:prefix_cache_hits_total', L);
    expect(value(m1, 'vllm:prefix_cache_hits_total', L)).to.equal(0);
    expect(hits / queries).to.be.greaterThan(0.95);
    // Model-time TTFT of each request (histogram sum deltas): prefill of ~1500 tokens vs one block.
    const modelFirst = s1 - s0;
    const modelSecond = s2 - s1;
    expect(modelFirst).to.be.closeTo(0.002 + queries / 1000, 0.001);
    expect(modelSecond).to.be.closeTo(0.002 + (queries - hits) / 1000, 0.001);
    expect(modelSecond).to.be.lessThan(modelFirst / 20);
    // --enable-prompt-tokens-details reports the hit in the usage, as vLLM does.
    const again = await postJson(`${url}/v1/completions`, { model: 'sim-small', prompt, max_tokens: 1 });
    expect((again.json() as { usage: { prompt_tokens_details: unknown } }).usage.prompt_tokens_details).to.deep.equal({ cached_tokens: hits });
    // The client sees it too (wall clock, ~375 ms vs a few ms at time-scale 4; loose for a busy machine).
    expect(second).to.be.lessThan(first * 0.75);
  });

  it('more concurrent requests than --max-num-seqs: num_requests_waiting rises and later requests wait longer', async () => {
    sim = await startSimulator({ profile: 'cpu-small', maxNumSeqs: 2, itlMs: 10, itlBatchFactor: 0, timeScale: 2 });
    const url = sim.url;
    await streamTtft(url, 'warm up the HTTP client', 1);
    const runs = Array.from({ length: 6 }, (_, i) => streamTtft(url, `request number ${i}`, 100));
    let waitingSeen = 0;
    await until(async () => {
      const m = await scrape(url);
      waitingSeen = Math.max(waitingSeen, value(m, 'vllm:num_requests_waiting', L));
      return value(m, 'vllm:num_requests_running', L) === 2 && waitingSeen === 4;
    }, 5000, 'two running and four waiting');
    const ttfts = await Promise.all(runs);
    const sorted = [...ttfts].sort((a, b) => a - b);
    // Two run at once; the last two start only after two full requests (~1 model s = 500 real ms each).
    expect(sorted[5]).to.be.greaterThan(sorted[0] + 500);
    const m = await scrape(url);
    expect(value(m, 'vllm:num_requests_waiting', L)).to.equal(0);
    const raw = await (await fetch(`${url}/metrics`)).text();
    const queueSum = Number(/^vllm:request_queue_time_seconds_sum\{[^}]*\} (\S+)$/m.exec(raw)![1]);
    expect(queueSum).to.be.greaterThan(3.0); // 2 requests wait ~1 s, 2 wait ~2 s (model time)
  });

  it('a client disconnect cancels the request at once: slot and KV blocks freed, counted as abort', async () => {
    sim = await startSimulator({ profile: 'cpu-small', itlMs: 50, timeScale: 1 });
    const url = sim.url;
    const ac = new AbortController();
    const res = await fetch(`${url}/v1/completions`, {
      method: 'POST', headers: { 'content-type': 'application/json' }, signal: ac.signal,
      body: JSON.stringify({ model: 'sim-small', prompt: 'long one', max_tokens: 1000, stream: true }),
    });
    const reader = res.body!.getReader();
    await reader.read();
    const m1 = await scrape(url);
    expect(value(m1, 'vllm:num_requests_running', L)).to.equal(1);
    expect(value(m1, 'vllm:kv_cache_usage_perc', L)).to.be.greaterThan(0);
    ac.abort();
    await until(async () => value(await scrape(url), 'vllm:num_requests_running', L) === 0, 2000, 'running to drop');
    const m2 = await scrape(url);
    expect(value(m2, 'vllm:kv_cache_usage_perc', L)).to.equal(0);
    expect(value(m2, 'vllm:request_success_total', { ...L, finished_reason: 'abort' })).to.equal(1);
  });
});
