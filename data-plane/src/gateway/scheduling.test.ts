// The scheduler wired into real gateways: explain header and sampled decision events, live
// configuration from mi-config (bad rejected with the old config kept, good applied by every
// replica), and two replicas deciding as one (shared prefix placements and in-flight counts).
// Real nats-server, two gateways, four fake OpenAI upstreams.
import { expect } from 'chai';
import { connect, type NatsConnection, type Subscription } from '@nats-io/transport-node';
import { Kvm, type KV } from '@nats-io/kv';
import { BUCKETS, decodeEvent } from '@matrixinfer/events';
import { startNatsServer, type TestNatsServer } from '@matrixinfer/events/testing';
import type { DecisionRecord } from '../scheduler/index.js';
import { CONFIG_KEYS, schedulerStatusKey, type ConfigStatus } from './config-watcher.js';
import { startGateway, type GatewayHandle } from './gateway.js';
import { modelEntry, putRoute, routesBucket, server, startFakeUpstream, waitFor, type FakeUpstream } from './testing.js';

const MODEL = 'llama';

async function chat(gw: GatewayHandle, content: string, headers: Record<string, string> = {}, signal?: AbortSignal): Promise<Response> {
  const res = await fetch(`${gw.url}/v1/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify({ model: MODEL, messages: [{ role: 'system', content }, { role: 'user', content: 'q' }] }),
    signal,
  });
  return res;
}

async function getJson<T>(url: string): Promise<T> {
  const r = await fetch(url);
  return (await r.json()) as T;
}

interface DebugScheduler {
  config: { scorers: Array<{ name: string; weight: number }> };
  decisionSampleRate: number;
  prefixBlocks: Record<string, number>;
  peers: Record<string, number>;
}

/** A long system prompt unique to `tag` (many prefix blocks). */
const longPrompt = (tag: string): string => `${tag}: ${'You are a careful assistant who answers briefly. '.repeat(60)}`;

describe('gateway scheduling: explain, live config, replicas deciding as one', function () {
  this.timeout(20_000);
  let nats: TestNatsServer;
  let nc: NatsConnection;
  let routes: KV;
  let config: KV;
  let ups: FakeUpstream[] = [];
  let a: GatewayHandle;
  let b: GatewayHandle;
  let subs: Subscription[] = [];

  before(async () => {
    nats = await startNatsServer();
    nc = await connect({ servers: nats.url });
    routes = await routesBucket(nc);
    config = await new Kvm(nc).create(BUCKETS.config, { history: 5 });
    ups = await Promise.all(['e0', 'e1', 'e2', 'e3'].map((id) => startFakeUpstream(id)));
    await putRoute(routes, modelEntry(MODEL, [server('llama-srv', ups)]));
    const common = { port: 0, natsUrl: nats.url, logLevel: 'off' as const, decisionSampleRate: 0, inflightPeriodMs: 50, pluginTimeEvery: 1 };
    a = await startGateway({ ...common, name: 'gw-a', seed: 1 });
    b = await startGateway({ ...common, name: 'gw-b', seed: 2 });
    await Promise.all([a.ready, b.ready]);
  });
  afterEach(() => {
    for (const s of subs) s.unsubscribe();
    subs = [];
    for (const u of ups) u.mode = {};
  });
  after(async () => {
    await a?.close();
    await b?.close();
    for (const u of ups) await u.close();
    await nc?.close();
    await nats?.close();
  });

  function collect(subject: string): Array<ReturnType<typeof decodeEvent>> {
    const got: Array<ReturnType<typeof decodeEvent>> = [];
    subs.push(nc.subscribe(subject, { callback: (err, msg) => {
      if (!err) got.push(decodeEvent(msg.data));
    } }));
    return got;
  }

  it('answers x-mi-explain: true with the candidates, their scores and the pick, and publishes that decision', async () => {
    const events = collect('mi.decisions.gateway.>');
    await nc.flush();
    const plain = await chat(a, 'no explain please');
    expect(plain.status).to.equal(200);
    expect(plain.headers.get('x-mi-explain')).to.equal(null);
    await plain.arrayBuffer();

    const res = await chat(a, 'explain please', { 'x-mi-explain': 'true', 'x-request-id': 'req-explain-1' });
    expect(res.status).to.equal(200);
    const explain = JSON.parse(res.headers.get('x-mi-explain')!) as { picked: string; candidates: Array<{ id: string; total: number; scores: Record<string, number> }> };
    expect(explain.picked).to.equal(res.headers.get('x-mi-endpoint'));
    expect(explain.candidates.map((c) => c.id).sort()).to.deep.equal(['e0', 'e1', 'e2', 'e3']);
    expect(Object.keys(explain.candidates[0].scores).sort()).to.deep.equal(['kv-cache', 'least-request', 'prefix-cache']);
    await res.arrayBuffer();

    // Events of one connection arrive in order: when the explain event is here, an event for
    // the plain request (sample rate 0) would have arrived before it.
    await waitFor('the explained decision event', () => events.length > 0);
    expect(events).to.have.length(1);
    const ev = events[0];
    expect(ev.subject).to.equal(`mi.decisions.gateway.default.${MODEL}`);
    expect(ev.type).to.equal('gateway.schedule');
    expect(ev.source).to.equal('gateway/gw-a');
    const rec = ev.data as DecisionRecord;
    expect(rec.requestId).to.equal('req-explain-1');
    expect(rec.picked).to.equal(explain.picked);
    expect(rec.candidates).to.have.length(4);
    expect(rec.candidates[0].load).to.have.keys(['inFlight', 'waiting', 'running', 'kvUsage', 'ttftMs', 'tpotMs', 'sampleAgeMs']);
  });

  it('samples decisions at the rate set live in mi-config (gateway.decisionSampleRate)', async () => {
    const events = collect(`mi.decisions.gateway.default.${MODEL}`);
    await config.put(CONFIG_KEYS.decisionSampleRate, '1');
    await waitFor('rate 1 on gw-b', async () => (await getJson<DebugScheduler>(`${b.url}/debug/scheduler`)).decisionSampleRate === 1);
    for (let i = 0; i < 3; i++) await (await chat(b, `sampled ${i}`)).arrayBuffer();
    await waitFor('three sampled decisions', () => events.length === 3);
    expect(events.every((e) => e.source === 'gateway/gw-b')).to.equal(true);
    await config.delete(CONFIG_KEYS.decisionSampleRate);
    await waitFor('rate back to the start-up value', async () => (await getJson<DebugScheduler>(`${b.url}/debug/scheduler`)).decisionSampleRate === 0);
  });

  it('shares prefix placements: a prefix scheduled via gateway A goes to the same endpoint via gateway B', async () => {
    for (const tag of ['alpha', 'beta', 'gamma']) {
      const before = (await getJson<DebugScheduler>(`${b.url}/debug/scheduler`)).prefixBlocks;
      const viaA = await chat(a, longPrompt(tag));
      const picked = viaA.headers.get('x-mi-endpoint')!;
      await viaA.arrayBuffer();
      await waitFor(`gw-b learns ${tag} on ${picked}`, async () => (await getJson<DebugScheduler>(`${b.url}/debug/scheduler`)).prefixBlocks[picked] > (before[picked] ?? 0));
      const viaB = await chat(b, longPrompt(tag), { 'x-mi-explain': 'true' });
      expect(viaB.headers.get('x-mi-endpoint'), `${tag} via gw-b (explain: ${viaB.headers.get('x-mi-explain')})`).to.equal(picked);
      await viaB.arrayBuffer();
    }
  });

  it('shares in-flight counts: a request held open via A shows in B’s /debug/endpoints and its scheduling input', async () => {
    for (const u of ups) u.mode = { delayMs: 10_000 };
    const ac = new AbortController();
    const pending = chat(a, 'slow one', {}, ac.signal).catch(() => null);
    type Eps = { endpoints: Record<string, { inFlight: number; peerInFlight: number }> };
    // The engine that got it first (B may still hold a peer count from an earlier request for a tick).
    let busy = '';
    await waitFor('an engine answering gw-a’s request', () => {
      busy = ups.find((u) => u.running === 1)?.id ?? '';
      return busy !== '';
    });
    await waitFor(`gw-b sees gw-a’s in-flight request on ${busy}`, async () => {
      const eps = (await getJson<Eps>(`${b.url}/debug/endpoints`)).endpoints;
      return Object.keys(eps).every((id) => eps[id].peerInFlight === (id === busy ? 1 : 0));
    });
    const peers = (await getJson<DebugScheduler>(`${b.url}/debug/scheduler`)).peers;
    expect(Object.keys(peers)).to.deep.equal(['gw-a']);
    // B's scheduler sees it too: the decision B publishes carries the peer's request as load.
    const events = collect(`mi.decisions.gateway.default.${MODEL}`);
    await nc.flush();
    const acB = new AbortController();
    const pendingB = chat(b, 'slow two', { 'x-mi-explain': 'true' }, acB.signal).catch(() => null);
    await waitFor('gw-b’s decision', () => events.length === 1);
    const rec = events[0].data as DecisionRecord;
    expect(rec.candidates.find((c) => c.id === busy)!.load.inFlight).to.equal(1);
    expect(rec.candidates.filter((c) => c.id !== busy).map((c) => c.load.inFlight)).to.deep.equal([0, 0, 0]);
    acB.abort();
    ac.abort();
    await Promise.all([pending, pendingB]);
    await waitFor('gw-b sees it finished', async () => (await getJson<Eps>(`${b.url}/debug/endpoints`)).endpoints[busy].peerInFlight === 0);
  });

  it('rejects a bad scheduler config live (old one stays, error reported and counted), then applies a good one on every replica', async () => {
    const status = async (gw: string): Promise<ConfigStatus | null> => {
      const e = await config.get(schedulerStatusKey(gw));
      return e && e.operation === 'PUT' ? (JSON.parse(e.string()) as ConfigStatus) : null;
    };
    const events = collect('mi.decisions.gateway.*.config');
    const bad = await config.put(CONFIG_KEYS.scheduler, 'scorers:\n  - { name: least-request, weight: 1 }\n  - { name: no-such-scorer, weight: 1 }\npicker: { name: max-score }\n');
    for (const gw of ['gw-a', 'gw-b']) await waitFor(`${gw} reports revision ${bad}`, async () => (await status(gw))?.revision === bad);
    for (const gw of ['gw-a', 'gw-b']) {
      const s = (await status(gw))!;
      expect(s.result).to.equal('rejected');
      expect(s.code).to.equal('MI_ERR_SCHEDULER_CONFIG');
      expect(s.problems).to.have.length(1);
      expect(s.error).to.match(/unknown scorer "no-such-scorer" \(known: .*least-request/);
    }
    for (const gw of [a, b]) {
      const d = await getJson<DebugScheduler>(`${gw.url}/debug/scheduler`);
      expect(d.config.scorers.map((s) => s.name)).to.deep.equal(['prefix-cache', 'least-request', 'kv-cache']);
      expect(await (await fetch(`${gw.url}/metrics`)).text()).to.match(/mi_gateway_scheduler_config_updates_total\{result="rejected"\} 1/);
    }
    await waitFor('two rejection events', () => events.length === 2);
    expect(events.map((e) => e.type)).to.deep.equal(['gateway.config.rejected', 'gateway.config.rejected']);
    // Still routing by the old (default) config: the same prompt sticks to one endpoint.
    const sticky = new Set<string>();
    for (let i = 0; i < 4; i++) {
      const r = await chat(a, longPrompt('sticky'));
      sticky.add(r.headers.get('x-mi-endpoint')!);
      await r.arrayBuffer();
    }
    expect(sticky.size).to.equal(1);

    const good = await config.put(CONFIG_KEYS.scheduler, 'round-robin');
    for (const gw of ['gw-a', 'gw-b']) await waitFor(`${gw} applies revision ${good}`, async () => (await status(gw))?.revision === good);
    for (const gw of ['gw-a', 'gw-b']) expect((await status(gw))!.result).to.equal('applied');
    const counts = new Map<string, number>();
    for (let i = 0; i < 8; i++) {
      const r = await chat(a, longPrompt('sticky'));
      const ep = r.headers.get('x-mi-endpoint')!;
      counts.set(ep, (counts.get(ep) ?? 0) + 1);
      await r.arrayBuffer();
    }
    expect([...counts.values()]).to.deep.equal([2, 2, 2, 2]);
    expect(await (await fetch(`${a.url}/metrics`)).text()).to.match(/mi_gateway_scheduler_plugin_duration_seconds_count\{plugin="round-robin"\} 8/);

    await config.delete(CONFIG_KEYS.scheduler);
    await waitFor('back to the start-up config', async () => (await getJson<DebugScheduler>(`${a.url}/debug/scheduler`)).config.scorers.length === 3);
  });
});
