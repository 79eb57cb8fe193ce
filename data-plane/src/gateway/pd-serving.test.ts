// Disaggregated serving through the gateway: the leg bodies each protocol sends (recorded by fake
// engines), failure handling between legs, and the real simulator in prefill and decode roles
// (vLLM NIXL and SGLang bootstrap) answering the official openai client.
import { expect } from 'chai';
import OpenAI from 'openai';
import { request } from 'undici';
import type { KV } from '@nats-io/kv';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import type { RouteEndpoint, RouteServer } from '@matrixinfer/events';
import { startNatsServer, type TestNatsServer } from '@matrixinfer/events/testing';
import { startSimulator, type RunningSimulator } from '@matrixinfer/engine-sim';
import { startGateway, type GatewayHandle } from './gateway.js';
import { modelEntry, putRoute, routesBucket, startFakeUpstream, waitFor, type FakeUpstream } from './testing.js';

type Ep = { id: string; url: string; role: 'prefill' | 'decode'; group?: string };

function pdServer(name: string, eps: Ep[], extra: Partial<RouteServer>): RouteServer {
  const endpoints: RouteEndpoint[] = eps.map((e) => ({ id: e.id, address: e.url, role: e.role, pdGroup: e.group ?? 'g0' }));
  return { name, namespace: 'default', engine: 'vLLM', endpoints, ...extra };
}

async function post(url: string, body: Record<string, unknown>): Promise<{ status: number; headers: Record<string, unknown>; text: string }> {
  const r = await request(`${url}/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  return { status: r.statusCode, headers: r.headers, text: await r.body.text() };
}

const chat = (model: string, extra: Record<string, unknown> = {}): Record<string, unknown> => ({ model, messages: [{ role: 'user', content: 'hello there, disaggregated' }], max_tokens: 4, ...extra });

describe('gateway: prefill/decode disaggregated serving', function () {
  let nats: TestNatsServer;
  let nc: NatsConnection;
  let kv: KV;
  let gw: GatewayHandle;
  const fakes: FakeUpstream[] = [];
  const sims: RunningSimulator[] = [];

  const fake = async (id: string, mode: FakeUpstream['mode'] = {}): Promise<FakeUpstream> => {
    const f = await startFakeUpstream(id, mode);
    fakes.push(f);
    return f;
  };
  const route = async (model: string, srv: RouteServer): Promise<void> => {
    await putRoute(kv, modelEntry(model, [srv]));
    await waitFor(`route ${model}`, () => gw.table().entries.has(model));
  };

  before(async () => {
    nats = await startNatsServer();
    nc = await connect({ servers: nats.url });
    kv = await routesBucket(nc);
    gw = await startGateway({ port: 0, natsUrl: nats.url, name: 'gw-pd', logLevel: 'off', sharePeers: false });
    await gw.ready;
  });
  after(async () => {
    await gw?.close();
    for (const f of fakes) await f.close();
    for (const s of sims) await s.close();
    await nc?.close();
    await nats?.close();
  });

  it('nixl: prefill gets one token with do_remote_decode; decode gets the client body with the prefill kv_transfer_params', async () => {
    const kvParams = { do_remote_prefill: true, do_remote_decode: false, remote_block_ids: [7, 8], remote_engine_id: 'e1', remote_request_id: 'r1', remote_host: '127.0.0.1', remote_port: 1, tp_size: 1 };
    const p = await fake('nixl-p', { jsonExtra: { kv_transfer_params: kvParams } });
    const d = await fake('nixl-d', { tokens: 4 });
    await route('nixl', pdServer('nixl-srv', [{ id: 'p0', url: p.url, role: 'prefill' }, { id: 'd0', url: d.url, role: 'decode' }], { kvConnector: { type: 'nixl' }, model: 'real' }));
    const r = await post(gw.url, chat('nixl', { stream: true, stream_options: { include_usage: true } }));
    expect(r.status).to.equal(200);
    expect(r.headers['x-mi-endpoint']).to.equal('d0');
    expect(r.text.trimEnd().endsWith('data: [DONE]')).to.equal(true);
    expect(p.received).to.have.length(1);
    expect(p.received[0].body).to.deep.include({ model: 'real', stream: false, max_tokens: 1 });
    expect(p.received[0].body).to.not.have.property('stream_options');
    expect((p.received[0].body.kv_transfer_params as Record<string, unknown>).do_remote_decode).to.equal(true);
    expect(d.received).to.have.length(1);
    expect(d.received[0].body).to.deep.include({ model: 'real', stream: true, max_tokens: 4 });
    expect(d.received[0].body.kv_transfer_params).to.deep.equal(kvParams);
    expect(d.received[0].headers['x-request-id'], 'one request id for both legs').to.equal(p.received[0].headers['x-request-id']);
  });

  it('sequential (http/lmcache connector): decode gets the client body unchanged', async () => {
    const p = await fake('seq-p');
    const d = await fake('seq-d');
    await route('seq', pdServer('seq-srv', [{ id: 'p0', url: p.url, role: 'prefill' }, { id: 'd0', url: d.url, role: 'decode' }], { kvConnector: { type: 'lmcache' } }));
    const r = await post(gw.url, chat('seq'));
    expect(r.status).to.equal(200);
    expect(p.received[0].body).to.deep.include({ max_tokens: 1, stream: false });
    expect(d.received[0].body).to.deep.equal(chat('seq'));
  });

  it('nixl prefill without kv_transfer_params is an upstream failure (502), the decode never runs', async () => {
    const p = await fake('bare-p');
    const d = await fake('bare-d');
    await route('bare', pdServer('bare-srv', [{ id: 'p0', url: p.url, role: 'prefill' }, { id: 'd0', url: d.url, role: 'decode' }], { kvConnector: { type: 'nixl' } }));
    const r = await post(gw.url, chat('bare'));
    expect(r.status).to.equal(502);
    expect(JSON.parse(r.text).error.message).to.match(/without kv_transfer_params/);
    expect(d.received).to.have.length(0);
  });

  it('a prefill refusal (4xx) reaches the client as the engine sent it', async () => {
    const p = await fake('r-p', { status: 400 });
    const d = await fake('r-d');
    await route('refused', pdServer('r-srv', [{ id: 'p0', url: p.url, role: 'prefill' }, { id: 'd0', url: d.url, role: 'decode' }], {}));
    const r = await post(gw.url, chat('refused'));
    expect(r.status).to.equal(400);
    expect(r.headers['x-mi-endpoint']).to.equal('p0');
    expect(JSON.parse(r.text).error.message).to.equal('fake r-p failing');
    expect(d.received).to.have.length(0);
  });

  it('a failing prefill (5xx) moves the request to the next pair when retries allow', async () => {
    const p0 = await fake('f-p0', { status: 503 });
    const d0 = await fake('f-d0');
    const p1 = await fake('f-p1');
    const d1 = await fake('f-d1');
    const srv = pdServer('f-srv', [
      { id: 'fo-p0', url: p0.url, role: 'prefill', group: 'a' },
      { id: 'fo-d0', url: d0.url, role: 'decode', group: 'a' },
      { id: 'fo-p1', url: p1.url, role: 'prefill', group: 'b' },
      { id: 'fo-d1', url: d1.url, role: 'decode', group: 'b' },
    ], { trafficPolicy: { retry: { attempts: 2, retryIntervalMs: 0 } } });
    await route('failover', srv);
    // Pair order is the scheduler's: send until the failing pair was tried first a few times.
    let sent = 0;
    while (p0.received.length < 3 && sent < 60) {
      const r = await post(gw.url, chat('failover'));
      sent++;
      expect(r.status, r.text).to.equal(200);
      expect(r.headers['x-mi-endpoint']).to.equal('fo-d1');
    }
    expect(p0.received.length, 'the failing prefill was tried').to.be.at.least(3);
    expect(d0.received, 'a decode whose prefill partner failed is never called').to.have.length(0);
    expect(p1.received.length).to.equal(sent);
    // Three gateway failures in a row eject the prefill endpoint: it gets nothing more.
    const debug = (await (await fetch(`${gw.url}/debug/endpoints`)).json()) as { endpoints: Record<string, { outlier?: { ejected: boolean } }> };
    expect(debug.endpoints['fo-p0'].outlier?.ejected).to.equal(true);
    for (let i = 0; i < 10; i++) expect((await post(gw.url, chat('failover'))).status).to.equal(200);
    expect(p0.received.length, 'ejected: no more prefill legs').to.equal(3);
  });

  it('mooncake is answered 501 with a clear message', async () => {
    const p = await fake('m-p');
    const d = await fake('m-d');
    await route('moon', pdServer('m-srv', [{ id: 'p0', url: p.url, role: 'prefill' }, { id: 'd0', url: d.url, role: 'decode' }], { kvConnector: { type: 'mooncake' } }));
    const r = await post(gw.url, chat('moon'));
    expect(r.status).to.equal(501);
    expect(JSON.parse(r.text).error.message).to.match(/mooncake/);
    expect(p.received.length + d.received.length).to.equal(0);
  });

  for (const engine of ['vllm', 'sglang'] as const) {
    it(`real simulators (${engine}): openai client, streamed and not, through a prefill and a decode engine`, async () => {
      const common = { profile: 'cpu-small', model: 'sim-small', engine, timeScale: 50, port: 0, bootstrapPort: 0 } as const;
      const prefill = await startSimulator({ ...common, role: 'prefill', seed: 1 });
      sims.push(prefill);
      const decode = await startSimulator({ ...common, role: 'decode', seed: 2 });
      sims.push(decode);
      const model = `pd-${engine}`;
      await route(model, pdServer(`${model}-srv`, [{ id: 'p0', url: prefill.url, role: 'prefill' }, { id: 'd0', url: decode.url, role: 'decode' }],
        { engine: engine === 'sglang' ? 'SGLang' : 'vLLM', kvConnector: { type: 'nixl' }, model: 'sim-small' }));
      const client = new OpenAI({ baseURL: `${gw.url}/v1`, apiKey: 'none', maxRetries: 0 });
      const r = await client.chat.completions.create({ model, messages: [{ role: 'user', content: 'a prompt long enough to fill a block or two of KV cache' }], max_tokens: 5 });
      expect(r.usage?.completion_tokens).to.equal(5);
      const s = await client.chat.completions.create({ model, messages: [{ role: 'user', content: 'and a streamed one' }], max_tokens: 3, stream: true, stream_options: { include_usage: true } });
      let usage: OpenAI.CompletionUsage | null | undefined;
      for await (const c of s) if (c.usage) usage = c.usage;
      expect(usage?.completion_tokens).to.equal(3);
      // Both engines worked on both requests: the prefill engine produced one token each, the decode engine the rest.
      const gen = async (sim: RunningSimulator): Promise<number> => {
        const text = await (await request(`${sim.url}/metrics`)).body.text();
        const name = engine === 'sglang' ? 'sglang:generation_tokens_total' : 'vllm:generation_tokens_total';
        const line = text.split('\n').find((l) => l.startsWith(name));
        return line ? Number(line.split(' ').pop()) : NaN;
      };
      await waitFor('engine counters', async () => (await gen(prefill)) === 2 && (await gen(decode)) === 8);
    });
  }
});
