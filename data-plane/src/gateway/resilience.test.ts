// Failure behaviour end to end: endpoint killed mid-test, client abort mid-stream, NATS outage,
// plus header rules, weighted split over HTTP, published samples and side-by-side replicas.
import { expect } from 'chai';
import http from 'node:http';
import { request } from 'undici';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import type { KV } from '@nats-io/kv';
import { decodeSample, metricsSubject, type EngineSample, type GatewaySample, type RouteEntry } from '@matrixinfer/events';
import { startNatsServer, type TestNatsServer } from '@matrixinfer/events/testing';
import { startGateway, type GatewayHandle } from './gateway.js';
import { modelEntry, putRoute, routesBucket, server, startFakeUpstream, waitFor, type FakeUpstream } from './testing.js';

async function complete(gw: GatewayHandle, model: string, headers: Record<string, string> = {}): Promise<{ status: number; endpoint: string; route: string }> {
  const r = await request(`${gw.url}/v1/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify({ model, prompt: 'hello' }),
  });
  await r.body.text();
  return { status: r.statusCode, endpoint: String(r.headers['x-mi-endpoint']), route: String(r.headers['x-mi-route']) };
}

describe('gateway e2e: resilience and routing behaviour', function () {
  let nats: TestNatsServer;
  let nc: NatsConnection;
  let kv: KV;
  let gw: GatewayHandle;
  const fakes: FakeUpstream[] = [];
  const extraGateways: GatewayHandle[] = [];

  async function fake(id: string, mode = {}): Promise<FakeUpstream> {
    const f = await startFakeUpstream(id, mode);
    fakes.push(f);
    return f;
  }

  before(async () => {
    nats = await startNatsServer();
    nc = await connect({ servers: nats.url, maxReconnectAttempts: -1, reconnectTimeWait: 100 });
    kv = await routesBucket(nc);
    gw = await startGateway({ port: 0, natsUrl: nats.url, name: 'gw-res', logLevel: 'off', seed: 3, samplePeriodMs: 200 });
    await gw.ready;
  });
  after(async () => {
    for (const g of extraGateways) await g.close();
    await gw?.close();
    for (const f of fakes) await f.close();
    await nc?.close();
    await nats?.close();
  });

  it('is ready with an empty table and lists no models', async () => {
    const r = await request(`${gw.url}/readyz`);
    expect(r.statusCode).to.equal(200);
    await r.body.text();
    const m = await request(`${gw.url}/v1/models`);
    expect(((await m.body.json()) as { data: unknown[] }).data).to.be.an('array');
  });

  it('header rule routes premium traffic to its own ModelServer; no match falls to the default', async () => {
    const p = await fake('prem-1');
    const s = await fake('std-1');
    const entry: RouteEntry = {
      ...modelEntry('chat', [server('chat-premium', [p]), server('chat-std', [s])]),
      rules: [
        { name: 'premium', match: { headers: { 'x-tier': { exact: 'premium' } } }, targets: [{ modelServer: 'chat-premium', weight: 100 }] },
        { name: 'default', targets: [{ modelServer: 'chat-std', weight: 100 }] },
      ],
    };
    await putRoute(kv, entry);
    await waitFor('chat route', () => gw.table().entries.has('chat'));
    for (let i = 0; i < 5; i++) {
      expect(await complete(gw, 'chat', { 'x-tier': 'premium' })).to.deep.equal({ status: 200, endpoint: 'prem-1', route: 'chat-route/premium/chat-premium' });
      expect(await complete(gw, 'chat', { 'x-tier': 'free' })).to.deep.equal({ status: 200, endpoint: 'std-1', route: 'chat-route/default/chat-std' });
      expect(await complete(gw, 'chat')).to.deep.equal({ status: 200, endpoint: 'std-1', route: 'chat-route/default/chat-std' });
    }
  });

  it('splits HTTP traffic 70/30 (200 requests, within 10%)', async () => {
    const st = await fake('stable-1');
    const ca = await fake('canary-1');
    await putRoute(kv, modelEntry('split', [server('stable', [st]), server('canary', [ca])], [['stable', 70], ['canary', 30]]));
    await waitFor('split route', () => gw.table().entries.has('split'));
    const counts: Record<string, number> = {};
    for (let i = 0; i < 200; i++) {
      const r = await complete(gw, 'split');
      counts[r.endpoint] = (counts[r.endpoint] ?? 0) + 1;
    }
    expect(counts['stable-1']).to.be.within(120, 160);
    expect(counts['canary-1']).to.be.within(40, 80);
  });

  it('an endpoint killed mid-test: unanswered requests are retried elsewhere, none fail', async () => {
    const victim = await fake('victim', { delayMs: 150 });
    const survivor = await fake('survivor', { delayMs: 20 });
    await putRoute(kv, modelEntry('kill', [server('kill-srv', [victim, survivor], { trafficPolicy: { retry: { attempts: 2, retryIntervalMs: 0 } } })]));
    await waitFor('kill route', () => gw.table().entries.has('kill'));
    const inflight = Array.from({ length: 20 }, () => complete(gw, 'kill'));
    await waitFor('requests reach the victim', () => victim.running > 0);
    await victim.kill();
    const later = Array.from({ length: 10 }, () => complete(gw, 'kill'));
    const results = await Promise.all([...inflight, ...later]);
    expect(results.map((r) => r.status)).to.deep.equal(results.map(() => 200));
    expect(results.every((r) => r.endpoint === 'survivor')).to.equal(true);
    expect(victim.received.length).to.be.greaterThan(0);
  });

  it('a client aborting mid-stream cancels the upstream request within 100 ms', async () => {
    const streamer = await fake('streamer', { tokens: 1000, tokenDelayMs: 10 });
    await putRoute(kv, modelEntry('stream', [server('stream-srv', [streamer])]));
    await waitFor('stream route', () => gw.table().entries.has('stream'));
    const ac = new AbortController();
    const res = await fetch(`${gw.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'stream', stream: true, messages: [{ role: 'user', content: 'go' }] }),
      signal: ac.signal,
    });
    const reader = res.body!.getReader();
    const first = await reader.read();
    expect(Buffer.from(first.value!).toString()).to.match(/^data: /);
    expect(streamer.running).to.equal(1);
    const t0 = performance.now();
    ac.abort();
    await waitFor('upstream running count drops', () => streamer.running === 0, 100);
    expect(performance.now() - t0).to.be.lessThan(100);
    await waitFor('gateway in-flight drops', async () => {
      const m = await (await fetch(`${gw.url}/metrics`)).text();
      return m.includes('mi_gateway_in_flight_requests{model="stream"} 0');
    });
  });

  it('honours backpressure: a client that stops reading stops the upstream', async () => {
    const total = 64 * 1024 * 1024;
    const bulk = await fake('bulk', { bulkBytes: total });
    await putRoute(kv, modelEntry('bulk', [server('bulk-srv', [bulk])]));
    await waitFor('bulk route', () => gw.table().entries.has('bulk'));
    const res = await new Promise<http.IncomingMessage>((resolve, reject) => {
      const req = http.request(`${gw.url}/v1/completions`, { method: 'POST', headers: { 'content-type': 'application/json' } }, resolve);
      req.once('error', reject);
      req.end(JSON.stringify({ model: 'bulk', prompt: 'x', stream: true }));
    });
    res.pause();
    // Socket buffers on three hops hold a few MB at most; everything else must wait upstream.
    await waitFor('upstream stalls', async () => {
      const before = bulk.sentBytes;
      await new Promise((r) => setTimeout(r, 100));
      return bulk.sentBytes === before && before > 0;
    });
    expect(bulk.sentBytes).to.be.lessThan(16 * 1024 * 1024);
    let got = 0;
    res.on('data', (c: Buffer) => (got += c.length));
    res.resume();
    await new Promise((r) => res.once('end', r));
    expect(got).to.equal(total);
  });

  it('sees engine samples in its endpoint views and publishes GatewaySamples per model', async () => {
    const busy = await fake('busy');
    const idle = await fake('idle');
    await putRoute(kv, modelEntry('load', [server('load-srv', [busy, idle])]));
    await waitFor('load route', () => gw.table().entries.has('load'));
    const sample: EngineSample = { endpoint: 'busy', address: busy.url, modelServer: 'load-srv', target: 'x', engine: 'vLLM', timeMs: Date.now(), running: 50, waiting: 40, kvUsage: 0.9 };
    const seen: GatewaySample[] = [];
    const sub = nc.subscribe('mi.metrics.gateway.default.load', { callback: (_e, m) => void seen.push(decodeSample<GatewaySample>(m.string())!) });
    nc.publish(metricsSubject('engine', 'default', 'busy'), JSON.stringify(sample));
    await waitFor('sample in /debug/endpoints', async () => {
      const d = (await (await fetch(`${gw.url}/debug/endpoints`)).json()) as { endpoints: Record<string, { waiting?: number }> };
      return d.endpoints.busy?.waiting === 40;
    });
    for (let i = 0; i < 10; i++) expect((await complete(gw, 'load')).endpoint).to.equal('idle');
    await waitFor('a GatewaySample with traffic', () => seen.some((s) => s.requestsPerSecond > 0 && s.gateway === 'gw-res'), 3000);
    sub.unsubscribe();
    const routes = (await (await fetch(`${gw.url}/debug/routes`)).json()) as { entries: Record<string, { revision: number }> };
    expect(routes.entries.load.revision).to.be.a('number').greaterThan(0);
  });

  it('runs several replicas side by side on one NATS', async () => {
    const f = await fake('shared');
    await putRoute(kv, modelEntry('shared', [server('shared-srv', [f])]));
    for (const name of ['gw-r1', 'gw-r2']) {
      const g = await startGateway({ port: 0, natsUrl: nats.url, name, logLevel: 'off' });
      extraGateways.push(g);
      await g.ready;
    }
    for (const g of [gw, ...extraGateways]) {
      await waitFor(`${g.name} has the route`, () => g.table().entries.has('shared'));
      expect((await complete(g, 'shared')).status).to.equal(200);
    }
  });

  it('keeps serving the last table through a NATS outage and catches up after it', async function () {
    this.timeout(30_000);
    const f1 = await fake('outage-1');
    const f2 = await fake('outage-2');
    await putRoute(kv, modelEntry('outage', [server('outage-srv', [f1])]));
    await waitFor('outage route', () => gw.table().entries.has('outage'));
    await nats.stop();
    for (let i = 0; i < 5; i++) expect(await complete(gw, 'outage')).to.deep.include({ status: 200, endpoint: 'outage-1' });
    const ready = await request(`${gw.url}/readyz`);
    expect(ready.statusCode).to.equal(200);
    await ready.body.text();
    await nats.start();
    // Write the change as soon as our own client is back; the gateway must pick it up by itself.
    await waitFor('test client reconnect', async () => {
      try {
        await putRoute(kv, modelEntry('outage', [server('outage-srv', [f2])]));
        return true;
      } catch {
        return false;
      }
    }, 15_000);
    await waitFor('gateway catches up', () => gw.table().entries.get('outage')?.entry.servers['outage-srv'].endpoints[0].id === 'outage-2', 15_000);
    expect(await complete(gw, 'outage')).to.deep.include({ status: 200, endpoint: 'outage-2' });
  });
});
