// The poller against a real nats-server and a small fake Prometheus (HTTP on listen(0), answers
// set per test), then with the autoscaler: a query scales a ModelInfer, a Prometheus outage
// holds it, and no URL at all gives a decision that says the URL is not configured.
import { expect } from 'chai';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { jetstream, jetstreamManager, type JetStreamClient } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import winston from 'winston';
import { STREAMS, connectNats, createResourceStore, decisionSubject, decodeEvent, ensureBuckets, ensureStreams, externalMetricsSubject, type ExternalSample, type ResourceInput, type ResourceStore } from '@matrixinfer/events';
import { startNatsServer, type TestNatsServer } from '@matrixinfer/events/testing';
import type { ModelInfer } from '@matrixinfer/schemas';
import { startAutoscaler, type RunningAutoscaler } from '../autoscaler/runner/autoscaler.js';
import type { AutoscalerDecisionData } from '../autoscaler/runner/step.js';
import { InvalidExternalOptionError } from './errors.js';
import { startExternalMetrics } from './runner.js';

const logger = winston.createLogger({ level: 'error', transports: [new winston.transports.Console({ silent: true })] });
const Q = 'sum(rate(app_requests_total[1m]))';

async function until<T>(what: string, probe: () => Promise<T | undefined | null | false>, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const v = await probe();
    if (v) return v;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`timed out waiting for ${what}`);
}

/** A fake Prometheus: answers /api/v1/query with `answer(query, time)`, recording each request. */
class FakePrometheus {
  server: Server | undefined;
  requests: { query: string; time: string }[] = [];
  answer: (query: string) => { status: number; body: unknown } = () => ({ status: 200, body: { status: 'success', data: { resultType: 'vector', result: [] } } });
  url = '';
  async start(port = 0): Promise<void> {
    this.server = createServer((req, res) => {
      const u = new URL(req.url ?? '/', 'http://x');
      if (u.pathname !== '/api/v1/query') return void res.writeHead(404).end('not found');
      const query = u.searchParams.get('query') ?? '';
      this.requests.push({ query, time: u.searchParams.get('time') ?? '' });
      const a = this.answer(query);
      res.writeHead(a.status, { 'content-type': 'application/json' }).end(JSON.stringify(a.body));
    });
    await new Promise<void>((r) => this.server!.listen(port, '127.0.0.1', () => r()));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }
  async stop(): Promise<void> {
    const s = this.server;
    this.server = undefined;
    if (!s) return;
    s.closeAllConnections();
    await new Promise<void>((r) => s.close(() => r()));
  }
}

const vector = (...values: number[]) => ({ status: 200, body: { status: 'success', data: { resultType: 'vector', result: values.map((v, i) => ({ metric: { pod: `p${i}` }, value: [1, String(v)] })) } } });

function policy(name: string, query: string): ResourceInput {
  return {
    apiVersion: 'registry.matrixinfer.ai/v1alpha1',
    kind: 'AutoscalingPolicy',
    metadata: { name, namespace: 'default', annotations: { 'autoscaling.matrixinfer.ai/stable-window': '2s', 'autoscaling.matrixinfer.ai/panic-window-percent': '50' } },
    spec: { metrics: [{ metricName: 'rps', query, targetValue: 10 }], behavior: { scaleUp: { panicPolicy: { panicModeHold: '1s' } }, scaleDown: { percent: 100, period: '1s' } } },
  };
}
const modelInfer = (name: string, replicas: number): ResourceInput => ({
  apiVersion: 'workload.matrixinfer.ai/v1alpha1',
  kind: 'ModelInfer',
  metadata: { name, namespace: 'default' },
  spec: { replicas, template: { roles: [{ name: 'server', entryTemplate: { spec: { containers: [{ name: 'engine', image: 'sim' }] } } }] } },
});
const binding = (name: string, policyName: string, target: string): ResourceInput => ({
  apiVersion: 'registry.matrixinfer.ai/v1alpha1',
  kind: 'AutoscalingPolicyBinding',
  metadata: { name, namespace: 'default' },
  spec: { policyRef: { name: policyName }, scalingConfiguration: { target: { targetRef: { kind: 'ModelInfer', name: target } }, minReplicas: 0, maxReplicas: 8 } },
});

describe('external metrics poller on nats-server', function () {
  this.timeout(60_000);
  let server: TestNatsServer;
  let nc: NatsConnection;
  let js: JetStreamClient;
  let store: ResourceStore;
  const prom = new FakePrometheus();
  const started: { stop(): Promise<void> }[] = [];

  async function samples(b: string): Promise<ExternalSample[]> {
    const out: ExternalSample[] = [];
    const consumer = await js.consumers.get(STREAMS.metrics, { filter_subjects: externalMetricsSubject('default', b) });
    const pending = (await consumer.info(true)).num_pending;
    for (let i = 0; i < pending; i++) {
      const m = await consumer.next({ expires: 1000 });
      if (!m) break;
      out.push(decodeEvent<ExternalSample>(m.data).data);
    }
    await consumer.delete().catch(() => undefined);
    return out;
  }
  async function decisions(name: string): Promise<AutoscalerDecisionData[]> {
    const out: AutoscalerDecisionData[] = [];
    const consumer = await js.consumers.get(STREAMS.decisions, { filter_subjects: decisionSubject('autoscaler', 'default', name) });
    const pending = (await consumer.info(true)).num_pending;
    for (let i = 0; i < pending; i++) {
      const m = await consumer.next({ expires: 1000 });
      if (!m) break;
      out.push(decodeEvent<AutoscalerDecisionData>(m.data).data);
    }
    await consumer.delete().catch(() => undefined);
    return out;
  }
  const replicas = async (name: string) => ((await store.get('ModelInfer', 'default', name))?.spec as ModelInfer['spec'] | undefined)?.replicas;

  before(async () => {
    server = await startNatsServer();
    nc = await connectNats({ url: server.url, name: 'external-test' });
    js = jetstream(nc);
    const jsm = await jetstreamManager(nc);
    await ensureStreams(jsm);
    await ensureBuckets(js, jsm);
    store = createResourceStore({ js, jsm, source: 'test' });
    await prom.start();
  });

  afterEach(async () => {
    for (const s of started.splice(0).reverse()) await s.stop();
  });

  after(async () => {
    await prom.stop();
    await nc?.close();
    await server?.close();
  });

  it('rejects a Prometheus URL that is not http(s) at start-up', async () => {
    for (const bad of ['localhost:9090', 'ftp://h/', 'nonsense', 'http://h:9090/?x=1']) {
      let caught: unknown;
      await startExternalMetrics({ nc, logger, prometheusUrl: bad }).then((p) => started.push(p), (err: unknown) => (caught = err));
      expect(caught, bad).to.be.instanceOf(InvalidExternalOptionError);
      expect((caught as { code?: string }).code).to.equal('MI_ERR_EXTERNAL_INVALID_OPTION');
    }
  });

  it('publishes one sample per binding at each tick: the value, or the error with its code (never nothing)', async () => {
    await store.apply(policy('p1', Q));
    await store.apply(policy('p1-bad', 'sum(('));
    await store.apply(binding('b1', 'p1', 'mi-none'));
    await store.apply(binding('b1-bad', 'p1-bad', 'mi-none2'));
    prom.answer = (q) => (q === Q ? vector(1.5, 2) : { status: 400, body: { status: 'error', errorType: 'bad_data', error: '1:6: parse error: unclosed left parenthesis' } });
    let t = 1_000_000_000_000;
    const poller = await startExternalMetrics({ nc, logger, prometheusUrl: prom.url, tickMs: 60_000, now: () => t });
    started.push(poller);
    await poller.tick();
    t += 60_000;
    const url = prom.url;
    await prom.stop();
    try {
      await poller.tick();
    } finally {
      await prom.start();
    }
    const good = await until('two samples of b1', async () => {
      const s = await samples('b1');
      return s.length >= 2 && s;
    });
    expect(good[0]).to.deep.equal({ binding: 'b1', policy: 'p1', timeMs: Math.floor(1_000_000_000_000 / 60_000) * 60_000, results: [{ metricName: 'rps', query: Q, value: 3.5 }] });
    expect(prom.requests.find((r) => r.query === Q)?.time).to.equal((good[0].timeMs / 1000).toFixed(3));
    const down = good[1].results[0];
    expect(down).to.deep.include({ metricName: 'rps', query: Q });
    expect('error' in down && down.error.code).to.equal('MI_ERR_EXTERNAL_UNREACHABLE');
    expect('error' in down && down.error.message).to.satisfy((m: string) => m.startsWith(`cannot reach Prometheus at ${url}/: `), JSON.stringify(down));
    const bad = (await samples('b1-bad'))[0].results[0];
    expect('error' in bad && bad.error).to.deep.equal({ code: 'MI_ERR_EXTERNAL_QUERY_FAILED', message: 'Prometheus refused the query (HTTP 400): bad_data: 1:6: parse error: unclosed left parenthesis' });
    expect(poller.stats()).to.include({ ticks: 2, targets: 2, published: 4 });
    await store.delete('AutoscalingPolicyBinding', 'default', 'b1');
    await store.delete('AutoscalingPolicyBinding', 'default', 'b1-bad');
  });

  it('with the autoscaler: the query total scales the target, an outage holds it (never down, never to zero), and it decides again on recovery', async () => {
    let total = 35;
    let up = true;
    prom.answer = () => (up ? vector(total) : { status: 503, body: { status: 'error', errorType: 'timeout', error: 'query timed out in expression evaluation' } });
    await store.apply(modelInfer('mi-q', 1));
    await store.apply(policy('pq', Q));
    await store.apply(binding('mi-q', 'pq', 'mi-q'));
    const poller = await startExternalMetrics({ nc, logger, prometheusUrl: prom.url, tickMs: 200 });
    started.push(poller);
    const autoscaler: RunningAutoscaler = await startAutoscaler({ nc, logger, tickMs: 200, staleMs: 1000, minReplayMs: 3000, ensure: false });
    started.push(autoscaler);
    await until('scale-up to 4 (ceil(35 / 10))', async () => (await replicas('mi-q')) === 4, 15_000);
    const upDecision = (await decisions('mi-q')).find((d) => d.valid && d.desiredReplicas === 4);
    expect(upDecision?.inputs['query:rps']).to.include({ target: 10 });
    expect(upDecision?.values['query:rps']).to.equal(35);

    // Prometheus fails and the real load is gone: holding, not scaling down.
    total = 0;
    up = false;
    const holdFrom = Date.now();
    const held = await until('a hold decision', async () => (await decisions('mi-q')).find((d) => d.tickStartMs >= holdFrom && d.invalidReason === 'external-metric-unavailable'));
    expect(held).to.include({ valid: false, currentReplicas: 4, desiredReplicas: 4 });
    expect(held.reason).to.include(`query:rps (${Q}) unavailable: Prometheus refused the query (HTTP 503): timeout: query timed out in expression evaluation [MI_ERR_EXTERNAL_QUERY_FAILED]`);
    // Longer than the stable window and the scale-down period: it would have scaled to zero by now.
    await new Promise((r) => setTimeout(r, 3500));
    expect(await replicas('mi-q')).to.equal(4);
    expect((await decisions('mi-q')).filter((d) => d.tickStartMs >= holdFrom && d.desiredReplicas < d.currentReplicas)).to.deep.equal([]);

    // Back: the zero total is data again, and it scales down.
    up = true;
    await until('scale-down after recovery', async () => ((await replicas('mi-q')) ?? 4) < 4, 15_000);
  });

  it('no Prometheus URL: the decision says the URL is not configured, and nothing is applied', async () => {
    await store.apply(modelInfer('mi-n', 2));
    await store.apply(policy('pn', Q));
    await store.apply(binding('mi-n', 'pn', 'mi-n'));
    started.push(await startExternalMetrics({ nc, logger, tickMs: 200 }));
    // No heartbeat: the change of cause (no sample yet -> not configured) alone publishes again.
    started.push(await startAutoscaler({ nc, logger, tickMs: 200, staleMs: 1000, minReplayMs: 3000, heartbeatTicks: 10_000, ensure: false }));
    // (Before the poller's first sample, the hold says there is no sample yet.)
    const d = await until('a not-configured decision', async () => (await decisions('mi-n')).find((x) => x.externalProblems?.[0]?.code === 'MI_ERR_EXTERNAL_NOT_CONFIGURED'));
    expect(d).to.include({ valid: false, invalidReason: 'external-metric-unavailable', desiredReplicas: 2 });
    expect(d.reason).to.match(/^external-metric-unavailable: holding 2 replicas; query:rps \(sum\(rate\(app_requests_total\[1m\]\)\)\) unavailable: the Prometheus URL is not configured: start the control plane with --prometheus-url URL \(env MI_PROMETHEUS_URL\) \[MI_ERR_EXTERNAL_NOT_CONFIGURED\]$/);
    expect(await replicas('mi-n')).to.equal(2);
  });
});
