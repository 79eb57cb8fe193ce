// LoRA routing, gateway side: real nats-server, real HTTP, engine simulators. An adapter name is
// routed only to endpoints whose routing entry lists it loaded; with none, the request waits in
// the hold queue until one does, or gets a clear 503 once the wait is over.
import { expect } from 'chai';
import { request } from 'undici';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import type { KV } from '@nats-io/kv';
import type { RouteEntry, RouteServer } from '@matrixinfer/events';
import { startNatsServer, type TestNatsServer } from '@matrixinfer/events/testing';
import { startSimulator, type RunningSimulator } from '@matrixinfer/engine-sim';
import { startGateway, type GatewayHandle } from './gateway.js';
import { modelEntry, putRoute, routesBucket, waitFor } from './testing.js';

interface Answer {
  status: number;
  endpoint: string | undefined;
  body: { error?: { message: string; code: number }; model?: string };
}

async function complete(gw: GatewayHandle, model: string): Promise<Answer> {
  const r = await request(`${gw.url}/v1/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ model, prompt: 'hi', max_tokens: 2 }) });
  const body = JSON.parse(await r.body.text()) as Answer['body'];
  return { status: r.statusCode, endpoint: r.headers['x-mi-endpoint'] as string | undefined, body };
}

describe('gateway e2e: LoRA adapters routed to the endpoints that have them loaded', function () {
  this.timeout(20_000);
  let nats: TestNatsServer;
  let nc: NatsConnection;
  let kv: KV;
  let a: RunningSimulator;
  let b: RunningSimulator;
  const gateways: GatewayHandle[] = [];

  before(async () => {
    nats = await startNatsServer();
    nc = await connect({ servers: nats.url });
    kv = await routesBucket(nc);
    a = await startSimulator({ profile: 'cpu-small', port: 0, model: 'base', enableLora: true, loraModules: { sql: '/p/sql' } });
    b = await startSimulator({ profile: 'cpu-small', port: 0, model: 'base', enableLora: true });
  });
  after(async () => {
    for (const gw of gateways) await gw.close();
    await a?.close();
    await b?.close();
    await nc?.close();
    await nats?.close();
  });

  async function gateway(holdTimeoutMs: number): Promise<GatewayHandle> {
    const gw = await startGateway({ port: 0, natsUrl: nats.url, name: `gw-lora-${gateways.length}`, logLevel: 'off', seed: 5, holdTimeoutMs });
    gateways.push(gw);
    await gw.ready;
    return gw;
  }
  function base(adapters: { a: string[]; b: string[] }): RouteServer {
    return {
      name: 'base-srv',
      namespace: 'default',
      engine: 'vLLM',
      model: 'base',
      endpoints: [
        { id: 'a', address: a.url, role: 'both', adapters: adapters.a },
        { id: 'b', address: b.url, role: 'both', adapters: adapters.b },
      ],
    };
  }
  const loraEntry = (name: string, srv: RouteServer): RouteEntry => ({ ...modelEntry(name, [srv]), kind: 'lora', route: 'base-route' });

  it('sends every request for an adapter to the endpoint that has it, never to the one without', async () => {
    const gw = await gateway(5000);
    await putRoute(kv, loraEntry('sql', base({ a: ['sql'], b: [] })));
    await waitFor('sql entry', () => gw.table().entries.has('sql'));
    const answers = await Promise.all(Array.from({ length: 20 }, () => complete(gw, 'sql')));
    expect(answers.map((x) => x.status)).to.deep.equal(Array(20).fill(200));
    expect([...new Set(answers.map((x) => x.endpoint))]).to.deep.equal(['a']);
    expect(answers[0].body.model).to.equal('sql');
  });

  it('holds a request for an adapter no endpoint has loaded yet, and serves it once the table lists it', async () => {
    const gw = await gateway(10_000);
    await putRoute(kv, loraEntry('chat', base({ a: ['sql'], b: [] })));
    await waitFor('chat entry', () => gw.table().entries.has('chat'));
    const pending = complete(gw, 'chat');
    await waitFor('held', async () => (await (await fetch(`${gw.url}/metrics`)).text()).includes('mi_gateway_held_requests{model="chat"} 1'));
    // What the endpoint controller does: load it into b, then the projector lists it on b.
    const load = await fetch(`${b.url}/v1/load_lora_adapter`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ lora_name: 'chat', lora_path: '/p/chat' }) });
    expect(load.status).to.equal(200);
    await putRoute(kv, loraEntry('chat', base({ a: ['sql'], b: ['chat'] })));
    const answer = await pending;
    expect(answer.status, JSON.stringify(answer.body)).to.equal(200);
    expect(answer.endpoint).to.equal('b');
  });

  it('past the hold bound: 503 MI_ERR_ADAPTER_NOT_LOADED saying the adapter is not loaded anywhere yet', async () => {
    const gw = await gateway(300);
    await putRoute(kv, loraEntry('nowhere', base({ a: ['sql'], b: [] })));
    await waitFor('nowhere entry', () => gw.table().entries.has('nowhere'));
    const answer = await complete(gw, 'nowhere');
    expect(answer.status).to.equal(503);
    expect(answer.body.error!.message).to.match(/^LoRA adapter `nowhere` is not loaded on any ready replica yet; waited \d+ ms, retry later$/);
  });
});
