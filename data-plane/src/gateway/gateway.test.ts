// End-to-end through a real gateway: real nats-server, routes written into mi-routes, fake
// OpenAI upstreams on node:http, and the official `openai` client.
import { expect } from 'chai';
import OpenAI from 'openai';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import type { KV } from '@nats-io/kv';
import { startNatsServer, type TestNatsServer } from '@matrixinfer/events/testing';
import { startGateway, type GatewayHandle } from './gateway.js';
import { modelEntry, putRoute, routesBucket, server, startFakeUpstream, waitFor, type FakeUpstream } from './testing.js';

for (const upstream of ['undici', 'http'] as const)
describe(`gateway e2e: OpenAI requests through the routing table (${upstream} upstream client)`, function () {
  let nats: TestNatsServer;
  let nc: NatsConnection;
  let kv: KV;
  let gw: GatewayHandle;
  let a: FakeUpstream;
  let b: FakeUpstream;
  let client: OpenAI;

  before(async () => {
    nats = await startNatsServer();
    nc = await connect({ servers: nats.url });
    kv = await routesBucket(nc);
    a = await startFakeUpstream('ep-a');
    b = await startFakeUpstream('ep-b');
    await putRoute(kv, modelEntry('llama', [server('llama-srv', [a, b], { model: 'meta/llama-3' })]));
    gw = await startGateway({ port: 0, natsUrl: nats.url, name: 'gw-e2e', logLevel: 'off', seed: 1, upstream });
    await gw.ready;
    client = new OpenAI({ baseURL: `${gw.url}/v1`, apiKey: 'none', maxRetries: 0 });
  });
  after(async () => {
    await gw?.close();
    await a?.close();
    await b?.close();
    await nc?.close();
    await nats?.close();
  });

  it('serves a non-streaming chat completion with usage, rewriting the model name', async () => {
    const { data, response } = await client.chat.completions
      .create({ model: 'llama', messages: [{ role: 'user', content: 'hello' }] })
      .withResponse();
    expect(data.choices[0].message.content).to.equal('t0 t1 t2');
    expect(data.usage?.completion_tokens).to.equal(3);
    expect(response.headers.get('x-mi-route')).to.equal('llama-route/default/llama-srv');
    expect(['ep-a', 'ep-b']).to.include(response.headers.get('x-mi-endpoint'));
    expect(response.headers.get('x-request-id')).to.match(/^[0-9a-f-]{36}$/);
    const last = [...a.received, ...b.received].at(-1)!;
    expect(last.body.model).to.equal('meta/llama-3');
    expect(last.headers['x-request-id']).to.equal(response.headers.get('x-request-id'));
  });

  it('streams a chat completion with the final usage chunk', async () => {
    const stream = await client.chat.completions.create({
      model: 'llama',
      messages: [{ role: 'user', content: 'hi' }],
      stream: true,
      stream_options: { include_usage: true },
    });
    let text = '';
    let usage: OpenAI.CompletionUsage | null | undefined;
    for await (const c of stream) {
      text += c.choices[0]?.delta?.content ?? '';
      if (c.usage) usage = c.usage;
    }
    expect(text).to.equal('t0 t1 t2 ');
    expect(usage?.completion_tokens).to.equal(3);
  });

  it('serves completions, streaming and not', async () => {
    const r = await client.completions.create({ model: 'llama', prompt: 'once upon' });
    expect(r.choices[0].text).to.equal('t0 t1 t2');
    expect(r.usage?.completion_tokens).to.equal(3);
    const s = await client.completions.create({ model: 'llama', prompt: 'once upon', stream: true, stream_options: { include_usage: true } });
    let text = '';
    let out = 0;
    for await (const c of s) {
      text += c.choices[0]?.text ?? '';
      if (c.usage) out = c.usage.completion_tokens;
    }
    expect(text).to.equal('t0 t1 t2 ');
    expect(out).to.equal(3);
  });

  it('echoes a given x-request-id', async () => {
    const res = await fetch(`${gw.url}/v1/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-request-id': 'my-id-1' },
      body: JSON.stringify({ model: 'llama', prompt: 'x' }),
    });
    expect(res.status).to.equal(200);
    expect(res.headers.get('x-request-id')).to.equal('my-id-1');
    await res.text();
  });

  it('lists routable models and reports tokens in /metrics', async () => {
    const models = await client.models.list();
    expect(models.data.map((m) => m.id)).to.deep.equal(['llama']);
    const text = await (await fetch(`${gw.url}/metrics`)).text();
    expect(text).to.match(/mi_gateway_requests_total\{model="llama",code="200"\} \d+/);
    expect(text).to.match(/mi_gateway_output_tokens_total\{model="llama"\} (\d+)/);
    const out = Number(/mi_gateway_output_tokens_total\{model="llama"\} (\d+)/.exec(text)![1]);
    expect(out).to.be.greaterThanOrEqual(12);
  });

  it('follows a routing change live', async () => {
    await putRoute(kv, modelEntry('llama', [server('llama-srv', [b], { model: 'meta/llama-3' })]));
    await waitFor('table swap', () => gw.table().entries.get('llama')?.entry.servers['llama-srv'].endpoints.length === 1);
    for (let i = 0; i < 5; i++) {
      const { response } = await client.completions.create({ model: 'llama', prompt: 'x' }).withResponse();
      expect(response.headers.get('x-mi-endpoint')).to.equal('ep-b');
    }
  });
});
