// TorchServe mode on the wire: /ping, management reads, POST /predictions/<m> (JSON and a
// chunked stream of JSON lines), TorchServe's {"code","type","message"} errors and ts_* metrics.
import { expect } from 'chai';
import { request } from 'node:http';
import { startSimulator, type RunningSimulator } from '../simulator.js';
import { postJson, scrape, value } from './test-helpers.js';

/** POSTs and collects the body chunk by chunk as the socket delivers them, with the transfer encoding. */
function chunks(url: string, body: unknown): Promise<{ status: number; encoding: string | undefined; lines: string[] }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: 'POST', headers: { 'content-type': 'application/json' } }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (text += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, encoding: res.headers['transfer-encoding'], lines: text.split('\n').filter((l) => l !== '') }));
    });
    req.on('error', reject);
    req.end(JSON.stringify(body));
  });
}

describe('sim TorchServe mode over HTTP', () => {
  let sim: RunningSimulator;
  before(async () => {
    sim = await startSimulator({ engine: 'torchserve', profile: 'cpu-small', model: 'llama', timeScale: 20 });
  });
  after(async () => {
    await sim.close();
  });

  it('ping, models list and description', async () => {
    const ping = await fetch(`${sim.url}/ping`);
    expect(ping.status).to.equal(200);
    expect(await ping.json()).to.deep.equal({ status: 'Healthy' });
    expect(await (await fetch(`${sim.url}/models`)).json()).to.deep.equal({ models: [{ modelName: 'llama', modelUrl: 'llama.mar' }] });
    const d = (await (await fetch(`${sim.url}/models/llama`)).json()) as Array<{ modelName: string; workers: Array<{ status: string }> }>;
    expect(d[0].modelName).to.equal('llama');
    expect(d[0].workers[0].status).to.equal('READY');
  });

  it('predictions: one JSON answer with the finish reason and token counts', async () => {
    const r = await postJson(`${sim.url}/predictions/llama`, { prompt: 'Hello there', max_new_tokens: 5 });
    expect(r.status).to.equal(200);
    const b = r.json() as Record<string, unknown>;
    expect(b).to.deep.include({ finish_reason: 'length', completion_tokens: 5 });
    expect(b.text).to.be.a('string');
    expect(b.prompt_tokens).to.be.a('number').greaterThan(0);
    expect((await postJson(`${sim.url}/predictions/llama/1.0`, { prompt: 'Hello there', max_new_tokens: 5 })).json()).to.deep.equal(b);
  });

  it('streaming: chunked transfer encoding, one JSON line per token, a last line with finish and counts', async () => {
    const r = await chunks(`${sim.url}/predictions/llama`, { prompt: 'Hello there', max_new_tokens: 5, stream: true });
    expect(r.status).to.equal(200);
    expect(r.encoding).to.equal('chunked');
    const lines = r.lines.map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines).to.have.length(6);
    expect(lines.slice(0, 5).every((l) => Object.keys(l).join() === 'text')).to.equal(true);
    expect(lines[5]).to.deep.include({ text: '', finish_reason: 'length', completion_tokens: 5 });
    const whole = (await postJson(`${sim.url}/predictions/llama`, { prompt: 'Hello there', max_new_tokens: 5 })).json() as { text: string };
    expect(lines.map((l) => l.text).join('')).to.equal(whole.text);
  });

  it("errors are TorchServe's {code, type, message}", async () => {
    const unknown = await postJson(`${sim.url}/predictions/nope`, { prompt: 'x' });
    expect(unknown.status).to.equal(404);
    expect(unknown.json()).to.deep.equal({ code: 404, type: 'ModelNotFoundException', message: 'Model not found: nope' });
    const bad = await postJson(`${sim.url}/predictions/llama`, { text: 'x' });
    expect(bad.status).to.equal(400);
    expect(bad.json()).to.deep.include({ code: 400, type: 'BadRequestException' });
    const failed = await postJson(`${sim.url}/predictions/llama`, { prompt: 'x' }, { 'x-sim-fail': '503' });
    expect(failed.json()).to.deep.include({ code: 503, type: 'ServiceUnavailableException' });
  });

  it('metrics: ts_* counters per model with a trailing comma in the labels, host gauges', async () => {
    const m = await scrape(sim.url);
    const lbl = { model_name: 'llama', model_version: 'default' };
    expect(value(m, 'ts_inference_requests_total', lbl)).to.be.at.least(4);
    expect(value(m, 'ts_inference_latency_microseconds', lbl)).to.be.greaterThan(0);
    expect(m.get('ts_queue_latency_microseconds')?.type).to.equal('COUNTER');
    expect(m.get('QueueTime')?.type).to.equal('GAUGE');
    const text = await (await fetch(`${sim.url}/metrics`)).text();
    expect(text).to.match(/^ts_inference_requests_total\{model_name="llama",model_version="default",hostname="[^"]+",\} \d+\.\d+$/m);
  });
});
