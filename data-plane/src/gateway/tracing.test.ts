// Tracing through a real gateway and a real engine simulator: W3C traceparent in, OTLP/HTTP JSON
// out to an in-test collector (real HTTP), and the traceparent the engine received (the
// simulator's /sim/traces) has the gateway's upstream span as its parent.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { expect } from 'chai';
import { request } from 'undici';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { decodeEvent, parseTraceparent } from '@matrixinfer/events';
import { startNatsServer, type TestNatsServer } from '@matrixinfer/events/testing';
import { startSimulator, type RunningSimulator } from '@matrixinfer/engine-sim';
import { startGateway, type GatewayHandle } from './gateway.js';
import { modelEntry, putRoute, routesBucket, server, waitFor } from './testing.js';

interface OtlpSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  kind: number;
  startTimeUnixNano: string;
  endTimeUnixNano: string;
  attributes: Array<{ key: string; value: Record<string, unknown> }>;
  events?: Array<{ name: string; timeUnixNano: string }>;
}

/** A collector that keeps every span posted to /v1/traces (and can refuse with a status). */
async function startCollector(): Promise<{ url: string; spans: OtlpSpan[]; posts: number; contentTypes: string[]; refuse: number; close(): Promise<void> }> {
  const c = { url: '', spans: [] as OtlpSpan[], posts: 0, contentTypes: [] as string[], refuse: 0, close: async (): Promise<void> => undefined };
  const srv = http.createServer((req, res) => {
    const parts: Buffer[] = [];
    req.on('data', (b: Buffer) => parts.push(b));
    req.on('end', () => {
      c.posts++;
      c.contentTypes.push(String(req.headers['content-type']));
      if (req.url !== '/v1/traces' || c.refuse > 0) {
        res.writeHead(c.refuse || 404).end();
        return;
      }
      const body = JSON.parse(Buffer.concat(parts).toString()) as { resourceSpans: Array<{ scopeSpans: Array<{ spans: OtlpSpan[] }> }> };
      for (const rs of body.resourceSpans) for (const ss of rs.scopeSpans) c.spans.push(...ss.spans);
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  c.url = `http://127.0.0.1:${(srv.address() as AddressInfo).port}`;
  c.close = () => new Promise<void>((r) => srv.close(() => r()));
  return c;
}

function attr(s: OtlpSpan, key: string): unknown {
  const v = s.attributes.find((a) => a.key === key)?.value;
  return v === undefined ? undefined : Object.values(v)[0];
}

async function seenBySim(sim: RunningSimulator): Promise<Array<{ requestId: string; traceparent: string; tracestate?: string }>> {
  const r = await request(`${sim.url}/sim/traces`);
  return ((await r.body.json()) as { traces: Array<{ requestId: string; traceparent: string; tracestate?: string }> }).traces;
}

async function chat(gw: GatewayHandle, headers: Record<string, string>, stream = false): Promise<number> {
  const r = await request(`${gw.url}/v1/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify({ model: 'chat', messages: [{ role: 'user', content: 'trace me' }], max_tokens: 4, stream }),
  });
  await r.body.text();
  return r.statusCode;
}

const CLIENT_TRACE = '0af7651916cd43dd8448eb211c80319c';
const CLIENT_SPAN = 'b7ad6b7169203331';

describe('gateway tracing: traceparent -> spans over OTLP -> engine', function () {
  let nats: TestNatsServer;
  let nc: NatsConnection;
  let sim: RunningSimulator;
  let collector: Awaited<ReturnType<typeof startCollector>>;
  let gw: GatewayHandle;
  let plain: GatewayHandle;

  before(async () => {
    nats = await startNatsServer();
    nc = await connect({ servers: nats.url });
    const kv = await routesBucket(nc);
    sim = await startSimulator({ profile: 'cpu-small', port: 0, model: 'sim-small', seed: 7 });
    await putRoute(kv, modelEntry('chat', [server('chat-srv', [{ id: 'sim-0', url: sim.url }], { model: 'sim-small' })]));
    collector = await startCollector();
    gw = await startGateway({ port: 0, natsUrl: nats.url, name: 'gw-traced', logLevel: 'off', otlpTracesUrl: `${collector.url}/v1/traces`, otlpExportPeriodMs: 20, decisionSampleRate: 1 });
    plain = await startGateway({ port: 0, natsUrl: nats.url, name: 'gw-plain', logLevel: 'off', decisionSampleRate: 0 });
    await gw.ready;
    await plain.ready;
  });
  after(async () => {
    await gw?.close();
    await plain?.close();
    await collector?.close();
    await sim?.close();
    await nc?.close();
    await nats?.close();
  });

  it('continues a valid client trace: route is the child of the client span, schedule and upstream children of route; the engine gets the upstream span as parent', async () => {
    const decisions: string[] = [];
    const sub = nc.subscribe('mi.decisions.gateway.>', { callback: (_e, m) => void decisions.push(m.string()) });
    expect(await chat(gw, { traceparent: `00-${CLIENT_TRACE}-${CLIENT_SPAN}-01`, tracestate: 'congo=t61rcWkgMzE', 'x-request-id': 'trace-1' }, true)).to.equal(200);
    await waitFor('three spans of the client trace', () => collector.spans.filter((s) => s.traceId === CLIENT_TRACE).length >= 3);
    const spans = collector.spans.filter((s) => s.traceId === CLIENT_TRACE);
    const route = spans.find((s) => s.name === 'route')!;
    const schedule = spans.find((s) => s.name === 'schedule')!;
    const upstream = spans.find((s) => s.name === 'upstream')!;
    expect(route.parentSpanId).to.equal(CLIENT_SPAN);
    expect(schedule.parentSpanId).to.equal(route.spanId);
    expect(upstream.parentSpanId).to.equal(route.spanId);
    expect(route.kind).to.equal(2);
    expect(upstream.kind).to.equal(3);
    expect(attr(route, 'mi.model')).to.equal('chat');
    expect(attr(route, 'mi.endpoint')).to.equal('sim-0');
    expect(attr(route, 'mi.request_id')).to.equal('trace-1');
    expect(attr(route, 'http.response.status_code')).to.equal('200');
    expect(String(attr(route, 'mi.route'))).to.match(/chat-srv/);
    expect(upstream.events?.map((e) => e.name)).to.deep.equal(['first_byte']);
    expect(attr(upstream, 'mi.endpoint')).to.equal('sim-0');
    // Unix nanos as decimal strings, ordered.
    for (const s of spans) expect(s.startTimeUnixNano).to.match(/^\d{19}$/);
    expect(BigInt(route.startTimeUnixNano) <= BigInt(upstream.startTimeUnixNano)).to.equal(true);
    expect(BigInt(upstream.events![0].timeUnixNano) <= BigInt(route.endTimeUnixNano)).to.equal(true);
    const seen = (await seenBySim(sim)).filter((t) => t.requestId === 'trace-1');
    expect(seen).to.have.length(1);
    expect(parseTraceparent(seen[0].traceparent)).to.deep.equal({ traceId: CLIENT_TRACE, parentId: upstream.spanId, flags: 1 });
    expect(seen[0].tracestate).to.equal('congo=t61rcWkgMzE');
    expect(collector.contentTypes[0]).to.equal('application/json');
    // The sampled decision event names the route span.
    await waitFor('the sampled decision event', () => decisions.length > 0);
    sub.unsubscribe();
    expect(decodeEvent(decisions[0]).traceparent).to.equal(`00-${CLIENT_TRACE}-${route.spanId}-01`);
  });

  it('starts a new trace for a missing or invalid traceparent, and forwards no tracestate of the invalid one', async () => {
    const cases: Array<Record<string, string>> = [{}, { traceparent: `00-${'0'.repeat(32)}-${CLIENT_SPAN}-01`, tracestate: 'x=1' }, { traceparent: `ff-${CLIENT_TRACE}-${CLIENT_SPAN}-01` }];
    for (const [i, h] of cases.entries()) {
      const id = `fresh-${i}`;
      expect(await chat(gw, { ...h, 'x-request-id': id })).to.equal(200);
      await waitFor('the route span of the request', () => collector.spans.some((s) => s.name === 'route' && attr(s, 'mi.request_id') === id));
      const route = collector.spans.find((s) => s.name === 'route' && attr(s, 'mi.request_id') === id)!;
      expect(route.parentSpanId).to.equal(undefined);
      expect(route.traceId).to.match(/^[0-9a-f]{32}$/).and.not.equal(CLIENT_TRACE);
      const seen = (await seenBySim(sim)).find((t) => t.requestId === id)!;
      expect(parseTraceparent(seen.traceparent)?.traceId).to.equal(route.traceId);
      expect(seen.tracestate).to.equal(undefined);
    }
  });

  it('a caller that asked not to sample: no spans, its traceparent reaches the engine unchanged', async () => {
    const tp = `00-${CLIENT_TRACE.replace('0a', '1b')}-${CLIENT_SPAN}-00`;
    const before = collector.spans.length;
    expect(await chat(gw, { traceparent: tp, 'x-request-id': 'unsampled' })).to.equal(200);
    const seen = (await seenBySim(sim)).find((t) => t.requestId === 'unsampled')!;
    expect(seen.traceparent).to.equal(tp);
    // A later traced request is exported; the unsampled one never is.
    expect(await chat(gw, { 'x-request-id': 'after-unsampled' })).to.equal(200);
    await waitFor('the span of the later request', () => collector.spans.some((s) => attr(s, 'mi.request_id') === 'after-unsampled'));
    expect(collector.spans.slice(before).some((s) => attr(s, 'mi.request_id') === 'unsampled')).to.equal(false);
  });

  it('without an OTLP endpoint the gateway is a transparent hop: the client traceparent reaches the engine as it was sent', async () => {
    const tp = `00-${CLIENT_TRACE}-${CLIENT_SPAN}-01`;
    const posts = collector.posts;
    expect(await chat(plain, { traceparent: tp, 'x-request-id': 'plain-1' })).to.equal(200);
    const seen = (await seenBySim(sim)).find((t) => t.requestId === 'plain-1')!;
    expect(seen.traceparent).to.equal(tp);
    const m = await (await request(`${plain.url}/metrics`)).body.text();
    expect(m).to.not.contain('mi_gateway_trace_spans');
    expect(collector.posts).to.equal(posts);
  });

  it('a collector that refuses: the spans are dropped and counted, the requests are served', async () => {
    collector.refuse = 503;
    try {
      const posts = collector.posts;
      expect(await chat(gw, { 'x-request-id': 'refused' })).to.equal(200);
      await waitFor('the refused export', () => collector.posts > posts);
      await waitFor('the dropped-span counter', async () => /mi_gateway_trace_spans_dropped_total\{reason="export_failed"\} [1-9]/.test(await (await request(`${gw.url}/metrics`)).body.text()));
    } finally {
      collector.refuse = 0;
    }
  });
});
