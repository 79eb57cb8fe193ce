// Triton and TorchServe behind the gateway: the official openai client gets chat and
// completions, streamed and not, with usage, from simulators in --engine triton and
// --engine torchserve modes; engine errors come back OpenAI-shaped; and the native requests are
// what the engines document (checked on a recording upstream).
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { expect } from 'chai';
import OpenAI from 'openai';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { startNatsServer, type TestNatsServer } from '@matrixinfer/events/testing';
import { startSimulator, type RunningSimulator } from '@matrixinfer/engine-sim';
import { startGateway, type GatewayHandle } from '../gateway.js';
import { modelEntry, putRoute, routesBucket, server } from '../testing.js';

describe('gateway engine adapters: openai client -> gateway -> Triton / TorchServe simulators', function () {
  let nats: TestNatsServer;
  let nc: NatsConnection;
  let gw: GatewayHandle;
  let client: OpenAI;
  let recorder: Server;
  const seen: Array<{ url: string; body: unknown }> = [];
  const sims: RunningSimulator[] = [];

  before(async () => {
    nats = await startNatsServer();
    nc = await connect({ servers: nats.url });
    const kv = await routesBucket(nc);
    const triton = await startSimulator({ engine: 'triton', profile: 'cpu-small', port: 0, model: 'llama-trt', timeScale: 20 });
    const ts = await startSimulator({ engine: 'torchserve', profile: 'cpu-small', port: 0, model: 'llama-ts', timeScale: 20 });
    sims.push(triton, ts);
    // Answers like a Triton that fails every request, and records what it was sent.
    recorder = createServer((req, res) => {
      let b = '';
      req.on('data', (d: Buffer) => (b += d.toString()));
      req.on('end', () => {
        seen.push({ url: req.url ?? '', body: JSON.parse(b) });
        res.writeHead(400, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ error: 'expected 1 inputs but got 2 inputs for model' }));
      });
    });
    await new Promise<void>((r) => recorder.listen(0, '127.0.0.1', r));
    const recUrl = `http://127.0.0.1:${(recorder.address() as AddressInfo).port}`;
    await putRoute(kv, modelEntry('trt', [server('trt-srv', [{ id: 'trt-0', url: triton.url }], { model: 'llama-trt', engine: 'Triton' })]));
    await putRoute(kv, modelEntry('ts', [server('ts-srv', [{ id: 'ts-0', url: ts.url }], { model: 'llama-ts', engine: 'TorchServe' })]));
    await putRoute(kv, modelEntry('rec', [server('rec-srv', [{ id: 'rec-0', url: recUrl }], { model: 'rec-model', engine: 'Triton' })]));
    gw = await startGateway({ port: 0, natsUrl: nats.url, name: 'gw-engines', logLevel: 'off' });
    await gw.ready;
    client = new OpenAI({ baseURL: `${gw.url}/v1`, apiKey: 'none', maxRetries: 0 });
  });
  after(async () => {
    await gw?.close();
    for (const s of sims) await s.close();
    await new Promise<void>((r) => (recorder ? recorder.close(() => r()) : r()));
    await nc?.close();
    await nats?.close();
  });

  for (const model of ['trt', 'ts']) {
    describe(model === 'trt' ? 'Triton' : 'TorchServe', () => {
      it('chat completion, not streamed, with usage and finish_reason', async () => {
        const r = await client.chat.completions.create({ model, messages: [{ role: 'user', content: 'hello there' }], max_tokens: 7 });
        expect(r.object).to.equal('chat.completion');
        expect(r.id).to.match(/^chatcmpl-/);
        expect(r.choices[0].message.role).to.equal('assistant');
        expect(r.choices[0].message.content).to.be.a('string').and.not.equal('');
        expect(r.choices[0].finish_reason).to.equal('length');
        expect(r.usage?.completion_tokens).to.equal(7);
        expect(r.usage?.prompt_tokens).to.be.greaterThan(0);
        expect(r.usage?.total_tokens).to.equal(r.usage!.prompt_tokens + 7);
      });

      it('chat completion streamed: role chunk, content, finish, usage chunk; same text as not streamed', async () => {
        const whole = await client.chat.completions.create({ model, messages: [{ role: 'user', content: 'count' }], max_tokens: 6 });
        const s = await client.chat.completions.create({ model, messages: [{ role: 'user', content: 'count' }], max_tokens: 6, stream: true, stream_options: { include_usage: true } });
        let text = '';
        let role: string | undefined;
        let finish: string | null | undefined;
        let usage: OpenAI.CompletionUsage | null | undefined;
        for await (const c of s) {
          if (c.usage) usage = c.usage;
          const ch = c.choices[0];
          if (!ch) continue;
          role ??= ch.delta.role;
          text += ch.delta.content ?? '';
          if (ch.finish_reason) finish = ch.finish_reason;
        }
        expect(role).to.equal('assistant');
        expect(text).to.equal(whole.choices[0].message.content);
        expect(finish).to.equal('length');
        expect(usage?.completion_tokens).to.equal(6);
        expect(usage?.prompt_tokens).to.equal(whole.usage?.prompt_tokens);
      });

      it('completions, streamed and not, with usage', async () => {
        const r = await client.completions.create({ model, prompt: 'once upon a time', max_tokens: 5 });
        expect(r.object).to.equal('text_completion');
        expect(r.usage?.completion_tokens).to.equal(5);
        const s = await client.completions.create({ model, prompt: 'once upon a time', max_tokens: 5, stream: true, stream_options: { include_usage: true } });
        let text = '';
        let out = 0;
        for await (const c of s) {
          text += c.choices[0]?.text ?? '';
          if (c.usage) out = c.usage.completion_tokens;
        }
        expect(out).to.equal(5);
        expect(text).to.equal(r.choices[0].text);
      });

      it('a mid-stream engine failure becomes an OpenAI error event and [DONE]', async () => {
        const res = await fetch(`${gw.url}/v1/chat/completions`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'x-sim-fail-after-tokens': '2' },
          body: JSON.stringify({ model, stream: true, max_tokens: 6, messages: [{ role: 'user', content: 'fail soon' }] }),
        });
        const events = (await res.text()).split('\n\n').filter((e) => e.startsWith('data: ')).map((e) => e.slice(6));
        expect(events[events.length - 1]).to.equal('[DONE]');
        const err = JSON.parse(events[events.length - 2]) as { error: { type: string; code: number } };
        expect(err.error).to.deep.include({ type: 'InternalServerError', code: 500 });
      });
    });
  }

  it('Triton: the native request is {text_input, parameters, stream, return_*}; its {"error"} comes back OpenAI-shaped with the status', async () => {
    const res = await fetch(`${gw.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'rec', stream: true, max_tokens: 9, temperature: 0.5, messages: [{ role: 'system', content: 'be brief' }, { role: 'user', content: 'hi' }] }),
    });
    expect(res.status).to.equal(400);
    expect(await res.json()).to.deep.equal({ error: { message: 'expected 1 inputs but got 2 inputs for model', type: 'BadRequestError', param: null, code: 400 } });
    expect(seen[0].url).to.equal('/v2/models/rec-model/generate_stream');
    expect(seen[0].body).to.deep.equal({
      text_input: '<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\nbe brief<|eot_id|><|start_header_id|>user<|end_header_id|>\n\nhi<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\n',
      parameters: { temperature: 0.5, max_tokens: 9 }, stream: true, return_finish_reason: true, return_num_input_tokens: true, return_num_output_tokens: true,
    });
  });

  it('TorchServe: an unknown model upstream is its 404 ModelNotFoundException, OpenAI-shaped; n > 1 is refused before any attempt', async () => {
    const kv = await routesBucket(nc);
    await putRoute(kv, modelEntry('ts-missing', [server('tsm-srv', [{ id: 'ts-0', url: sims[1].url }], { model: 'not-there', engine: 'TorchServe' })]));
    let r: Response | undefined;
    for (let i = 0; i < 50 && (r === undefined || r.status === 404 && (await r.clone().text()).includes('does not exist')); i++) {
      if (i > 0) await new Promise((d) => setTimeout(d, 20));
      r = await fetch(`${gw.url}/v1/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ model: 'ts-missing', prompt: 'x' }) });
    }
    expect(r!.status).to.equal(404);
    expect(await r!.json()).to.deep.equal({ error: { message: 'Model not found: not-there', type: 'NotFoundError', param: null, code: 404 } });
    const n = await fetch(`${gw.url}/v1/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ model: 'ts', prompt: 'x', n: 2 }) });
    expect(n.status).to.equal(400);
    expect(((await n.json()) as { error: { param: string } }).error.param).to.equal('n');
  });
});
