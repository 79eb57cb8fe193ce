import { expect } from 'chai';
import { startSimulator, type RunningSimulator } from '../simulator.js';
import { postJson, scrape, sseData, until, value } from './test-helpers.js';

const body = { model: 'sim-small', prompt: 'fault please', max_tokens: 4 };

describe('sim fault injection', () => {
  let sim: RunningSimulator | undefined;
  afterEach(async () => {
    await sim?.close();
    sim = undefined;
  });

  const statusCases = [
    { engine: 'vllm' as const, status: 503, check: (b: Record<string, unknown>) => expect((b.error as Record<string, unknown>)).to.include({ type: 'ServiceUnavailableError', code: 503 }) },
    { engine: 'vllm' as const, status: 500, check: (b: Record<string, unknown>) => expect((b.error as Record<string, unknown>)).to.include({ type: 'InternalServerError', code: 500 }) },
    { engine: 'sglang' as const, status: 400, check: (b: Record<string, unknown>) => expect(b).to.include({ object: 'error', type: 'BadRequest', code: 400 }) },
  ];
  for (const tc of statusCases) {
    it(`x-sim-fail: ${tc.status} (${tc.engine}) fails with the engine's error body`, async () => {
      sim = await startSimulator({ engine: tc.engine, profile: 'cpu-small' });
      const r = await postJson(`${sim.url}/v1/completions`, body, { 'x-sim-fail': String(tc.status) });
      expect(r.status).to.equal(tc.status);
      tc.check(r.json() as Record<string, unknown>);
    });
  }

  it('--error-rate fails about that fraction of requests (seeded)', async () => {
    sim = await startSimulator({ profile: 'cpu-small', timeScale: 50, faults: { errorRate: 0.5 } });
    const statuses: number[] = [];
    for (let i = 0; i < 40; i++) statuses.push((await postJson(`${sim.url}/v1/completions`, { ...body, max_tokens: 1 })).status);
    const failed = statuses.filter((s) => s === 500).length;
    expect(failed).to.be.within(8, 32);
    expect(failed + statuses.filter((s) => s === 200).length).to.equal(40);
  });

  it('first-token stall and mid-stream stall by header delay the stream (model time, scaled)', async () => {
    sim = await startSimulator({ profile: 'cpu-small', timeScale: 2 });
    const t0 = performance.now();
    const r = await postJson(`${sim.url}/v1/completions`, { ...body, stream: true }, { 'x-sim-first-token-stall-ms': '200', 'x-sim-stall-ms': '200', 'x-sim-stall-after-tokens': '2' });
    const elapsed = performance.now() - t0;
    expect(sseData(r.text)).to.have.length(5);
    expect(elapsed).to.be.greaterThan(190); // 400 model ms at time-scale 2
  });

  it('x-sim-fail-after-tokens: N tokens, then a mid-stream error event and [DONE]; counted as abort', async () => {
    sim = await startSimulator({ profile: 'cpu-small', timeScale: 20 });
    const r = await postJson(`${sim.url}/v1/completions`, { ...body, max_tokens: 10, stream: true }, { 'x-sim-fail-after-tokens': '3' });
    expect(r.status).to.equal(200);
    const data = sseData(r.text);
    expect(data).to.have.length(5);
    expect(JSON.parse(data[3])).to.deep.equal({ error: { message: 'Simulated mid-stream engine failure (x-sim-fail-after-tokens)', type: 'InternalServerError', param: null, code: 500 } });
    expect(data[4]).to.equal('[DONE]');
    const m = await scrape(sim.url);
    expect(value(m, 'vllm:request_success_total', { finished_reason: 'abort' })).to.equal(1);
    expect(value(m, 'vllm:num_requests_running', {})).to.equal(0);
    const plain = await postJson(`${sim.url}/v1/completions`, { ...body, max_tokens: 10 }, { 'x-sim-fail-after-tokens': '3' });
    expect(plain.status).to.equal(500);
  });

  it('--startup-delay-ms: /health is 503 until the engine is ready', async () => {
    sim = await startSimulator({ profile: 'cpu-small', faults: { startupDelayMs: 150 } });
    expect((await fetch(`${sim.url}/health`)).status).to.equal(503);
    expect((await postJson(`${sim.url}/v1/completions`, body)).status).to.equal(503);
    const url = sim.url;
    await until(async () => (await fetch(`${url}/health`)).status === 200, 3000, 'health 200');
  });

  it('--crash-after N: request N+1 crashes the engine (in-process: all connections dropped)', async () => {
    let crashed = 0;
    sim = await startSimulator({ profile: 'cpu-small', timeScale: 20, faults: { crashAfter: 2 }, onCrash: () => { crashed++; } });
    expect((await postJson(`${sim.url}/v1/completions`, body)).status).to.equal(200);
    expect((await postJson(`${sim.url}/v1/completions`, body)).status).to.equal(200);
    expect(crashed).to.equal(0);
    void postJson(`${sim.url}/v1/completions`, body).catch(() => undefined);
    await until(() => crashed === 1, 2000, 'crash hook');
  });

  it('x-sim-crash without a hook closes the simulator: later requests are refused', async () => {
    sim = await startSimulator({ profile: 'cpu-small' });
    const url = sim.url;
    let failedRequest = false;
    await postJson(`${url}/v1/completions`, body, { 'x-sim-crash': '1' }).catch(() => { failedRequest = true; });
    expect(failedRequest).to.equal(true);
    let refused = false;
    await scrape(url).catch(() => { refused = true; });
    expect(refused).to.equal(true);
  });
});
