// Stalled engines and outlier ejection through a real gateway, NATS and fake engines on HTTP:
// a frozen engine (connection open, never answers) is failed over and ejected; a stream that
// stops mid-way ends with an SSE error event; 5xx in a row eject as Envoy's consecutive_5xx.
import { expect } from 'chai';
import { request } from 'undici';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import type { KV } from '@nats-io/kv';
import type { RouteServer } from '@matrixinfer/events';
import { startNatsServer, type TestNatsServer } from '@matrixinfer/events/testing';
import { startGateway, type GatewayHandle } from './gateway.js';
import { modelEntry, putRoute, routesBucket, server, startFakeUpstream, waitFor, type FakeMode, type FakeUpstream } from './testing.js';

const IDLE_MS = 300;

describe('gateway: stream-idle timeout and outlier ejection', function () {
  this.timeout(30_000);
  let nats: TestNatsServer;
  let nc: NatsConnection;
  let kv: KV;
  let gw: GatewayHandle;
  const fakes: FakeUpstream[] = [];

  async function fake(id: string, mode: FakeMode = {}): Promise<FakeUpstream> {
    const f = await startFakeUpstream(id, mode);
    fakes.push(f);
    return f;
  }

  async function route(model: string, endpoints: FakeUpstream[], trafficPolicy: RouteServer['trafficPolicy']): Promise<void> {
    await putRoute(kv, modelEntry(model, [server(`${model}-ms`, endpoints, { trafficPolicy })]));
    await waitFor(`${model} routed`, () => gw.table().entries.has(model));
  }

  async function post(model: string, stream: boolean): Promise<{ status: number; endpoint: string; text: string }> {
    const r = await request(`${gw.url}/v1/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ model, prompt: 'hi', stream }) });
    return { status: r.statusCode, endpoint: String(r.headers['x-mi-endpoint']), text: await r.body.text() };
  }

  async function debugOf(id: string): Promise<{ outlier?: { ejected: boolean; times: number } }> {
    const r = await request(`${gw.url}/debug/endpoints`);
    return ((await r.body.json()) as { endpoints: Record<string, { outlier?: { ejected: boolean; times: number } }> }).endpoints[id];
  }

  async function metric(name: string): Promise<string[]> {
    const text = await (await request(`${gw.url}/metrics`)).body.text();
    return text.split('\n').filter((l) => l.startsWith(name));
  }

  before(async () => {
    nats = await startNatsServer();
    nc = await connect({ servers: nats.url });
    kv = await routesBucket(nc);
    gw = await startGateway({ port: 0, natsUrl: nats.url, name: 'gw-stall', logLevel: 'off', seed: 11 });
    await gw.ready;
  });
  after(async () => {
    await gw?.close();
    for (const f of fakes) await f.close();
    await nc?.close();
    await nats?.close();
  });

  it('a frozen engine: every request fails over to the live one within the idle timeout, and the frozen one is ejected', async () => {
    const frozen = await fake('frozen', { stall: true });
    const live = await fake('live');
    await route('freeze', [frozen, live], { streamIdleTimeoutMs: IDLE_MS, retry: { attempts: 2, retryIntervalMs: 0 }, outlierDetection: { baseEjectionTimeMs: 60_000 } });
    // Until it is ejected (three stalls in a row: the consecutiveGatewayFailure default), the
    // scheduler sends some requests to it first; then it gets nothing.
    const results: Array<{ status: number; endpoint: string; text: string; stream: boolean }> = [];
    const send = async (stream: boolean) => results.push({ ...(await post('freeze', stream)), stream });
    for (let i = 0; i < 200 && frozen.received.length < 3; i++) await send(i % 2 === 0);
    for (let i = 0; i < 12; i++) await send(i % 2 === 0);
    expect(results.map((r) => r.status)).to.deep.equal(results.map(() => 200));
    expect(new Set(results.map((r) => r.endpoint))).to.deep.equal(new Set(['live']));
    for (const r of results.filter((x) => x.stream)) expect(r.text, 'a streamed answer is whole').to.match(/data: \[DONE\]\n\n$/);
    expect(frozen.received.length).to.equal(3);
    expect((await debugOf('frozen')).outlier).to.deep.include({ ejected: true, times: 1 });
    expect(await metric('mi_gateway_outlier_ejections_total')).to.deep.equal(['mi_gateway_outlier_ejections_total{model_server="freeze-ms",rule="consecutive_gateway_failure"} 1']);
    expect((await metric('mi_gateway_upstream_errors_total{kind="stalled"}'))[0]).to.match(/ 3$/);
  });

  it('a frozen engine with no retry left: 504 with the stall named, in the OpenAI error shape', async () => {
    const frozen = await fake('frozen-only', { stall: true });
    await route('alone', [frozen], { streamIdleTimeoutMs: IDLE_MS, retry: { attempts: 0, retryIntervalMs: 0 } });
    const started = Date.now();
    const r = await post('alone', false);
    expect(r.status).to.equal(504);
    const body = JSON.parse(r.text) as { error: { type: string; message: string } };
    expect(body.error.type).to.equal('timeout_error');
    expect(body.error.message).to.match(/frozen-only sent nothing for 300 ms \(stream idle timeout\)/);
    expect(Date.now() - started, 'ended by the idle timeout, not a hang').to.be.below(10_000);
  });

  it('a stream that stops mid-way ends with a stream_idle_timeout error event and [DONE]', async () => {
    const halting = await fake('halting', { tokens: 5, stallAfterTokens: 2 });
    await route('halt', [halting], { streamIdleTimeoutMs: IDLE_MS, retry: { attempts: 2, retryIntervalMs: 0 } });
    const r = await post('halt', true);
    expect(r.status).to.equal(200);
    const events = r.text.split('\n\n').filter((e) => e.startsWith('data: '));
    expect(events.slice(0, 2).map((e) => (JSON.parse(e.slice(6)) as { choices: Array<{ text: string }> }).choices[0].text)).to.deep.equal(['t0 ', 't1 ']);
    expect(JSON.parse(events[2].slice(6))).to.deep.include({ error: { message: 'the engine sent nothing for 300 ms: the stream was ended here', type: 'timeout_error', code: 'stream_idle_timeout', param: null } });
    expect(events[3]).to.equal('data: [DONE]');
    expect(events).to.have.length(4);
    expect(halting.received.length, 'bytes had reached the client: no retry').to.equal(1);
  });

  it('without a retry policy the gateway still fails over to another endpoint, never back to the same one', async () => {
    const down = await fake('down', { status: 503 });
    const up = await fake('up');
    await route('nopolicy', [down, up], undefined);
    for (let i = 0; i < 10; i++) expect(await post('nopolicy', i % 2 === 0)).to.deep.include({ status: 200, endpoint: 'up' });
    const lone = await fake('lone', { status: 500 });
    await route('lonely', [lone], undefined);
    expect((await post('lonely', false)).status).to.equal(500);
    expect(lone.received.length, 'one endpoint: nothing to fail over to').to.equal(1);
  });

  it('five 5xx in a row eject an endpoint (consecutive_5xx); requests keep succeeding on the other', async () => {
    const bad = await fake('bad', { status: 500 });
    const good = await fake('good');
    await route('flaky', [bad, good], { retry: { attempts: 1, retryIntervalMs: 0 }, outlierDetection: { baseEjectionTimeMs: 60_000 } });
    for (let i = 0; i < 200 && bad.received.length < 5; i++) expect((await post('flaky', false)).status).to.equal(200);
    expect(bad.received.length).to.equal(5);
    for (let i = 0; i < 20; i++) expect(await post('flaky', false)).to.deep.include({ status: 200, endpoint: 'good' });
    expect(bad.received.length, 'ejected: no more requests').to.equal(5);
    expect(await metric('mi_gateway_outlier_ejections_total{model_server="flaky-ms"')).to.deep.equal(['mi_gateway_outlier_ejections_total{model_server="flaky-ms",rule="consecutive_5xx"} 1']);
  });
});
