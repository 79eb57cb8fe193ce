import { decodeSample } from '@matrixinfer/events';
// Scale from zero, gateway side, end to end: real nats-server, real HTTP, the engine simulator.
// Requests for a model whose entry has no ready endpoint are held, demand is published at once,
// and the entry gaining an endpoint releases them; expiry, the queue bound and client aborts.
import { expect } from 'chai';
import { request } from 'undici';
import { connect, type NatsConnection, type Subscription } from '@nats-io/transport-node';
import type { KV } from '@nats-io/kv';
import type { GatewaySample } from '@matrixinfer/events';
import { startNatsServer, type TestNatsServer } from '@matrixinfer/events/testing';
import { startSimulator, type RunningSimulator } from '@matrixinfer/engine-sim';
import { startGateway, type GatewayHandle } from './gateway.js';
import { modelEntry, putRoute, routesBucket, server, waitFor } from './testing.js';

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: { error?: { message: string; type: string; param: string | null; code: number }; choices?: unknown[] };
  ms: number;
}

async function chat(gw: GatewayHandle, model: string, signal?: AbortSignal, headers: Record<string, string> = {}): Promise<Answer> {
  const t0 = performance.now();
  const r = await request(`${gw.url}/v1/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify({ model, max_tokens: 4, messages: [{ role: 'user', content: 'wake up' }] }),
    signal,
  });
  const text = await r.body.text();
  return { status: r.statusCode, headers: r.headers, body: JSON.parse(text) as Answer['body'], ms: performance.now() - t0 };
}

async function metric(gw: GatewayHandle, name: string, model: string): Promise<number> {
  const text = await (await fetch(`${gw.url}/metrics`)).text();
  const m = new RegExp(`^${name}\\{model="${model}"\\} ([0-9.]+)$`, 'm').exec(text);
  return m ? Number(m[1]) : 0;
}

function expectStarting(a: Answer, model: string): void {
  expect(a.status, JSON.stringify(a.body)).to.equal(503);
  expect(Object.keys(a.body.error!).sort()).to.deep.equal(['code', 'message', 'param', 'type']);
  expect(a.body.error!.code).to.equal(503);
  expect(a.body.error!.message).to.contain(`model \`${model}\` has no ready replica yet: it is starting (scale from zero)`);
  expect(a.body.error!.message).to.contain('retry later');
  expect(a.headers['retry-after']).to.equal('5');
  expect(a.headers['content-type']).to.equal('application/json');
}

describe('gateway e2e: holding requests for scale from zero', function () {
  this.timeout(20_000);
  let nats: TestNatsServer;
  let nc: NatsConnection;
  let kv: KV;
  let sim: RunningSimulator;
  let sub: Subscription;
  const samples: GatewaySample[] = [];
  const gateways: GatewayHandle[] = [];

  async function gateway(name: string, extra: Parameters<typeof startGateway>[0] = {}): Promise<GatewayHandle> {
    const gw = await startGateway({ port: 0, natsUrl: nats.url, name, logLevel: 'off', seed: 3, ...extra });
    gateways.push(gw);
    await gw.ready;
    return gw;
  }

  before(async () => {
    nats = await startNatsServer();
    nc = await connect({ servers: nats.url });
    kv = await routesBucket(nc);
    sim = await startSimulator({ profile: 'cpu-small', port: 0, model: 'sim-small', seed: 1 });
    sub = nc.subscribe('mi.metrics.gateway.>', {
      callback: (err, msg) => {
        if (!err) samples.push(decodeSample<GatewaySample>(msg.string())!);
      },
    });
    await nc.flush();
  });
  after(async () => {
    for (const gw of gateways) await gw.close();
    sub?.unsubscribe();
    await sim?.close();
    await nc?.close();
    await nats?.close();
  });

  it('holds a burst of 50, publishes demand at once, and releases all 50 when an endpoint is ready', async () => {
    await putRoute(kv, modelEntry('cold', [server('cold-srv', [], { model: 'sim-small' })]));
    // The periodic publisher first fires `samplePeriodMs` after start: a sample with held > 0
    // stamped before that can only be the demand sample published when the first request was held.
    const startedMs = Date.now();
    const gw = await gateway('gw-hold', { holdTimeoutMs: 15_000, samplePeriodMs: 2500 });
    await waitFor('entry loaded', () => gw.table().entries.has('cold'));
    const answers = Array.from({ length: 50 }, () => chat(gw, 'cold'));
    await waitFor('demand sample', () => samples.some((s) => s.gateway === 'gw-hold' && s.model === 'cold' && (s.held ?? 0) > 0), 2000);
    const demand = samples.find((s) => s.gateway === 'gw-hold' && s.model === 'cold')!;
    expect(demand.held).to.be.greaterThan(0);
    expect(demand.timeMs).to.be.lessThan(startedMs + 2500);
    await waitFor('50 held', async () => (await metric(gw, 'mi_gateway_held_requests', 'cold')) === 50, 5000);
    await waitFor('a sample with held = 50', () => samples.some((s) => s.gateway === 'gw-hold' && s.model === 'cold' && s.held === 50), 3000);
    const settled: Answer[] = [];
    void Promise.all(answers).then((a) => settled.push(...a));
    expect(settled).to.have.length(0);

    await putRoute(kv, modelEntry('cold', [server('cold-srv', [{ id: 'sim-0', url: sim.url }], { model: 'sim-small' })]));
    const done = await Promise.all(answers);
    expect(done.map((a) => a.status)).to.deep.equal(new Array<number>(50).fill(200));
    for (const a of done) {
      expect(a.headers['x-mi-endpoint']).to.equal('sim-0');
      expect(a.body.choices).to.have.length(1);
    }
    expect(await metric(gw, 'mi_gateway_held_requests', 'cold')).to.equal(0);
    expect(await metric(gw, 'mi_gateway_hold_released_total', 'cold')).to.equal(50);
    expect(await metric(gw, 'mi_gateway_hold_expired_total', 'cold')).to.equal(0);
    // Demand stops once released: a later periodic sample says held = 0.
    const mark = samples.length;
    await waitFor('a sample with held = 0', () => samples.slice(mark).some((s) => s.gateway === 'gw-hold' && s.model === 'cold' && s.held === 0), 3000);
  });

  it('past the wait: 503 in the OpenAI shape, saying the model is starting, with Retry-After', async () => {
    await putRoute(kv, modelEntry('cold-exp', [server('cold-exp-srv', [])]));
    const gw = await gateway('gw-expire', { holdTimeoutMs: 400 });
    await waitFor('entry loaded', () => gw.table().entries.has('cold-exp'));
    const a = await chat(gw, 'cold-exp');
    expectStarting(a, 'cold-exp');
    expect(a.ms).to.be.greaterThanOrEqual(390);
    expect(await metric(gw, 'mi_gateway_hold_expired_total', 'cold-exp')).to.equal(1);
    expect(await metric(gw, 'mi_gateway_held_requests', 'cold-exp')).to.equal(0);
    const text = await (await fetch(`${gw.url}/metrics`)).text();
    expect(text).to.match(/^mi_gateway_requests_total\{model="cold-exp",code="503"\} 1$/m);
  });

  it('queue bound: one over the bound gets 429 at once; aborted clients leave the queue and never reach an engine', async () => {
    await putRoute(kv, modelEntry('cold-b', [server('cold-b-srv', [], { model: 'sim-small' })]));
    const gw = await gateway('gw-bound', { holdTimeoutMs: 15_000, maxHeldPerModel: 2 });
    await waitFor('entry loaded', () => gw.table().entries.has('cold-b'));
    const acs = [new AbortController(), new AbortController()];
    const heldAnswers = acs.map((ac) => chat(gw, 'cold-b', ac.signal).catch((e: Error) => e));
    await waitFor('2 held', async () => (await metric(gw, 'mi_gateway_held_requests', 'cold-b')) === 2);

    const over = await chat(gw, 'cold-b');
    expect(over.status).to.equal(429);
    expect(over.headers['retry-after']).to.equal('5');
    expect(over.body.error!.message).to.contain('model `cold-b` has no ready replica yet: it is starting (scale from zero) and 2 requests already wait');
    expect(over.ms).to.be.lessThan(1000);
    expect(await metric(gw, 'mi_gateway_hold_rejected_total', 'cold-b')).to.equal(1);

    acs[0].abort();
    await waitFor('held drops to 1', async () => (await metric(gw, 'mi_gateway_held_requests', 'cold-b')) === 1);
    acs[1].abort();
    await waitFor('held drops to 0', async () => (await metric(gw, 'mi_gateway_held_requests', 'cold-b')) === 0);
    for (const r of await Promise.all(heldAnswers)) expect(r).to.be.instanceOf(Error);
    await waitFor('two 499s counted', async () => /^mi_gateway_requests_total\{model="cold-b",code="499"\} 2$/m.test(await (await fetch(`${gw.url}/metrics`)).text()));

    // An endpoint appears: nothing is left to release, so nothing goes upstream.
    await putRoute(kv, modelEntry('cold-b', [server('cold-b-srv', [{ id: 'sim-0', url: sim.url }], { model: 'sim-small' })]));
    await waitFor('endpoint in the table', () => gw.table().entries.get('cold-b')!.entry.servers['cold-b-srv'].endpoints.length === 1);
    expect(await metric(gw, 'mi_gateway_hold_released_total', 'cold-b')).to.equal(0);
    expect(await metric(gw, 'mi_gateway_hold_expired_total', 'cold-b')).to.equal(0);
    // And the queue is usable again: a request now goes straight through.
    expect((await chat(gw, 'cold-b')).status).to.equal(200);
  });

  it('priority: a full queue sheds a held low-priority request for a high one, which is served once an endpoint appears; a bad band is a 400', async () => {
    await putRoute(kv, modelEntry('cold-p', [server('cold-p-srv', [], { model: 'sim-small' })]));
    const gw = await gateway('gw-prio', { holdTimeoutMs: 15_000, maxHeldPerModel: 1 });
    await waitFor('entry loaded', () => gw.table().entries.has('cold-p'));
    const low = chat(gw, 'cold-p', undefined, { 'x-mi-priority': 'low' });
    await waitFor('low held', async () => (await metric(gw, 'mi_gateway_held_requests', 'cold-p')) === 1);
    const high = chat(gw, 'cold-p', undefined, { 'x-mi-priority': 'HIGH' });
    const shed = await low;
    expect(shed.status).to.equal(429);
    expect(shed.headers['retry-after']).to.equal('5');
    expect(shed.body.error!.message).to.contain('low-priority request was shed for a higher-priority one');
    await putRoute(kv, modelEntry('cold-p', [server('cold-p-srv', [{ id: 'sim-0', url: sim.url }], { model: 'sim-small' })]));
    expect((await high).status).to.equal(200);
    const bad = await chat(gw, 'cold-p', undefined, { 'x-mi-priority': 'urgent' });
    expect(bad.status).to.equal(400);
    expect(bad.body.error!.message).to.equal('x-mi-priority must be one of high, normal, low (got "urgent")');
  });

  it('closing the gateway answers held requests 503 instead of dropping them', async () => {
    await putRoute(kv, modelEntry('cold-close', [server('cold-close-srv', [])]));
    const gw = await startGateway({ port: 0, natsUrl: nats.url, name: 'gw-close', logLevel: 'off', holdTimeoutMs: 15_000 });
    let closed = false;
    try {
      await gw.ready;
      await waitFor('entry loaded', () => gw.table().entries.has('cold-close'));
      const pending = chat(gw, 'cold-close');
      await waitFor('held', async () => (await metric(gw, 'mi_gateway_held_requests', 'cold-close')) === 1);
      const closing = gw.close();
      expectStarting(await pending, 'cold-close');
      await closing;
      closed = true;
    } finally {
      if (!closed) await gw.close();
    }
  });

  it('rejects bad hold options before connecting', async () => {
    for (const bad of [{ holdTimeoutMs: -1 }, { maxHeldPerModel: 0 }, { maxHeldPerModel: 1.5 }]) {
      let err: unknown;
      try {
        await startGateway({ port: 0, natsUrl: nats.url, logLevel: 'off', ...bad });
      } catch (e) {
        err = e;
      }
      expect(err, JSON.stringify(bad)).to.be.instanceOf(RangeError);
    }
  });
});
