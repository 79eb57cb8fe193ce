// External metrics from a real Prometheus end to end: the default control-plane composition
// (with --prometheus-url pointing at a Prometheus this test starts), simulator replicas and a
// gateway process, load through the gateway. Prometheus scrapes the simulators' /metrics every
// second (their addresses come from the routing table, as the system reports them); the
// Model's policy scales on the PromQL `sum(vllm:num_requests_running)` (2 per replica). Then
// Prometheus is stopped with the load: the autoscaler must hold (external-metric-unavailable),
// never scale down or to zero, for longer than its stable window.
import { expect } from 'chai';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import type { KV } from '@nats-io/kv';
import type { NatsConnection } from '@nats-io/transport-node';
import { defaultComponents, startAutoscaler, startControlPlane, startExternalMetrics, type AutoscalerDecisionData, type ControlPlane, type ComponentStarter } from '@matrixinfer/control-plane';
import { connectNats, createResourceStore, decisionSubject, type ResourceInput, type ResourceStore } from '@matrixinfer/events';
import { startNatsServer, type TestNatsServer } from '@matrixinfer/events/testing';
import type { ModelInfer } from '@matrixinfer/schemas';
import { ClosedLoopLoad } from './autoscaler-load.js';
import { ChildSet } from './support/children.js';
import { autoscaledSimModel } from './support/manifests.js';
import { entryEndpoints, readRoute, readStream, routesKv } from './support/nats.js';
import { waitFor } from './support/poll.js';
import { findPrometheus, startPrometheus, type TestPrometheus } from './support/prometheus.js';
import { fileLogger, startGatewayProcess, type GatewayProcess } from './support/system.js';

const MODEL = 'e2e-prom';
const INFER = `${MODEL}-sim`;
const TICK_MS = 500;
const STABLE_MS = 6000;
const QUERY = 'sum(vllm:num_requests_running{job="mi-sim"})';
const PROMETHEUS = findPrometheus();

function promPolicy(name: string): ResourceInput {
  return {
    apiVersion: 'registry.matrixinfer.ai/v1alpha1',
    kind: 'AutoscalingPolicy',
    metadata: { name, namespace: 'default', annotations: { 'autoscaling.matrixinfer.ai/stable-window': `${STABLE_MS}ms`, 'autoscaling.matrixinfer.ai/panic-window-percent': '50' } },
    spec: {
      metrics: [{ metricName: 'running', query: QUERY, targetValue: 2 }],
      behavior: { scaleUp: { panicPolicy: { panicModeHold: '2s' } }, scaleDown: { percent: 100, period: '1s' } },
    },
  };
}

const title = PROMETHEUS
  ? 'external metrics from a real Prometheus (PromQL policy, simulator replicas, gateway load)'
  : 'external metrics from a real Prometheus — SKIPPED: no `prometheus` binary on PATH (install it: apt-get install -y prometheus; .ci/run and scripts/setup.mjs do)';

describe(title, function () {
  this.timeout(120_000);
  const children = new ChildSet();
  let server: TestNatsServer | undefined;
  let dataDir: string | undefined;
  let prom: TestPrometheus | undefined;
  let cp: ControlPlane | undefined;
  let gw: GatewayProcess;
  let nc: NatsConnection | undefined;
  let kv: KV;
  let store: ResourceStore;
  let load: ClosedLoopLoad | undefined;
  let discovery: NodeJS.Timeout | undefined;

  const replicas = async () => ((await store.get('ModelInfer', 'default', INFER))?.spec as ModelInfer['spec'] | undefined)?.replicas;
  const ready = async () => entryEndpoints(await readRoute(kv, MODEL)).length;
  const decisions = async () => (await readStream<AutoscalerDecisionData>(nc!, 'decisions', decisionSubject('autoscaler', 'default', INFER))).map((e) => e.envelope.data);

  before(async function () {
    if (!PROMETHEUS) {
      console.warn(`      skipping: ${title}`);
      this.skip();
    }
    this.timeout(90_000);
    server = await startNatsServer();
    dataDir = mkdtempSync(join(tmpdir(), 'mi-e2e-prometheus-'));
    prom = await startPrometheus(children, PROMETHEUS!, 'mi-sim');
    const logger = fileLogger(dataDir, 'control-plane');
    // The default composition with --prometheus-url, and a faster autoscaler and poller tick.
    const fast: Record<string, ComponentStarter['start']> = {
      autoscaler: (c) => startAutoscaler({ nc: c.nc, logger: c.logger, tickMs: TICK_MS, ensure: false }),
      'external-metrics': (c) => startExternalMetrics({ nc: c.nc, logger: c.logger, prometheusUrl: prom!.url, tickMs: TICK_MS }),
    };
    const components = defaultComponents({ prometheusUrl: prom.url }).map((c) => (fast[c.name] ? { name: c.name, start: fast[c.name] } : c));
    expect(components.map((c) => c.name)).to.include('external-metrics');
    cp = await startControlPlane({ natsUrl: server.url, dataDir, apiPort: 0, logger, components });
    gw = await startGatewayProcess(children, server.url, 'gw-prom');
    nc = await connectNats({ url: server.url, name: 'e2e-prometheus' });
    kv = await routesKv(nc);
    store = createResourceStore({ js: jetstream(nc), jsm: await jetstreamManager(nc), source: 'e2e' });
    // Prometheus scrapes what the routing table lists (the system's view of its engines).
    let last = '';
    discovery = setInterval(() => {
      void readRoute(kv, MODEL)
        .then((entry) => {
          const targets = entryEndpoints(entry).map((e) => new URL(e.address).host);
          if (targets.join(',') !== last) prom?.setTargets(targets);
          last = targets.join(',');
        })
        .catch(() => undefined);
    }, 250);
    await store.apply(promPolicy('prom-running'));
    await store.apply(autoscaledSimModel({ name: MODEL, policy: 'prom-running', minReplicas: 1, maxReplicas: 4, itlMs: 20 }));
    await waitFor('one ready replica routed', async () => (await ready()) === 1 || undefined, { timeoutMs: 60_000 });
  });

  after(async function () {
    this.timeout(60_000);
    if (discovery) clearInterval(discovery);
    await load?.stop();
    await nc?.close().catch(() => undefined);
    await children.killAll();
    await prom?.remove();
    await cp?.stop().catch(() => undefined);
    await server?.close();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  it('scales up on the PromQL total, then holds (no scale-down, no zero) while Prometheus is down', async () => {
    // The query answers through the real Prometheus and the poller: a valid decision that read it.
    const seen = await waitFor('a decision that read the query', async () => (await decisions()).find((d) => d.valid && d.inputs['query:running'] !== undefined), { timeoutMs: 30_000, everyMs: 250 });
    expect(seen.inputs['query:running'].target).to.equal(2);
    expect(await replicas(), 'baseline').to.equal(1);

    // 6 requests in flight (120 tokens at 20 ms: 2.4 s each) ask for ceil(6 / 2) = 3 replicas.
    load = new ClosedLoopLoad(gw.url, MODEL, 120);
    load.set(6);
    await waitFor('scale-up to 3 or more', async () => ((await replicas()) ?? 0) >= 3 || undefined, { timeoutMs: 40_000, everyMs: 200 });
    const up = (await decisions()).find((d) => d.valid && d.desiredReplicas > d.currentReplicas);
    expect(up?.reason).to.match(/query:running \d+(\.\d+)? vs target 2\/replica/);
    expect(up?.values['query:running']).to.be.greaterThan(2);

    // Prometheus goes away, then the load: the only metric is missing, so nothing may shrink.
    const stoppedAt = Date.now();
    await prom!.stop();
    await load.stop();
    load = undefined;
    const held = await waitFor('a hold decision', async () => (await decisions()).find((d) => d.tickStartMs >= stoppedAt && d.invalidReason === 'external-metric-unavailable'), { timeoutMs: 15_000, everyMs: 200 });
    const at = held.currentReplicas;
    expect(held).to.include({ valid: false, desiredReplicas: at });
    expect(held.reason).to.include(`query:running (${QUERY}) unavailable: `);
    expect(held.reason).to.match(/cannot reach Prometheus at http:\/\/127\.0\.0\.1:\d+\/|Prometheus refused the query|Prometheus answered HTTP/);
    // Longer than the stable window + the scale-down period: without the hold, zero load would have scaled it down by now.
    await new Promise((r) => setTimeout(r, STABLE_MS + 3000));
    const after = (await decisions()).filter((d) => d.tickStartMs >= stoppedAt);
    expect(after.filter((d) => d.desiredReplicas < d.currentReplicas), JSON.stringify(after.map((d) => [d.currentReplicas, d.desiredReplicas, d.reason]))).to.deep.equal([]);
    expect(await replicas()).to.be.at.least(at);
    // (A tick may still have read a sample taken just before Prometheus stopped; none after the hold began.)
    expect(after.filter((d) => d.valid && d.tickStartMs > held.tickStartMs), 'no valid decision without the metric').to.deep.equal([]);
    expect(after.filter((d) => d.tickStartMs > held.tickStartMs).length, 'the hold is published (change or heartbeat)').to.be.greaterThan(0);
  });
});
