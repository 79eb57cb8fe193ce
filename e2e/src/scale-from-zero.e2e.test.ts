// Scale from zero end to end: the control plane composition (controllers, projector, autoscaler,
// local actuator, collector) and a gateway process. A Model backend with minReplicas 0 and an
// autoscaling policy starts at zero replicas (its route entry exists with no endpoint); a burst
// of 50 requests is held by the gateway, whose demand sample wakes the autoscaler; the first
// simulator replica becomes ready and every one of the 50 requests completes.
import { expect } from 'chai';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import type { KV } from '@nats-io/kv';
import type { NatsConnection } from '@nats-io/transport-node';
import { defaultComponents, startAutoscaler, startControlPlane, type AutoscalerDecisionData, type ControlPlane } from '@matrixinfer/control-plane';
import { connectNats, createResourceStore, decisionSubject, type ResourceStore } from '@matrixinfer/events';
import { startNatsServer, type TestNatsServer } from '@matrixinfer/events/testing';
import type { ModelInfer } from '@matrixinfer/schemas';
import { ChildSet } from './support/children.js';
import { entryEndpoints, readRoute, readStream, routesKv } from './support/nats.js';
import { waitFor } from './support/poll.js';
import { fileLogger, startGatewayProcess, type GatewayProcess } from './support/system.js';

const MODEL = 'e2e-cold';
const INFER = `${MODEL}-sim`;
const TICK_MS = 500;
const BURST = 50;

async function metricValue(url: string, name: string, model: string): Promise<number> {
  const text = await (await fetch(`${url}/metrics`)).text();
  const m = new RegExp(`^${name}\\{model="${model}"\\} ([0-9.]+)$`, 'm').exec(text);
  return m ? Number(m[1]) : 0;
}

describe('scale from zero end to end (gateway holds, autoscaler wakes the model)', function () {
  this.timeout(120_000);
  const children = new ChildSet();
  let server: TestNatsServer;
  let dataDir: string;
  let cp: ControlPlane | undefined;
  let gw: GatewayProcess;
  let nc: NatsConnection;
  let kv: KV;
  let store: ResourceStore;

  const replicas = async () => ((await store.get('ModelInfer', 'default', INFER))?.spec as ModelInfer['spec'] | undefined)?.replicas;
  const decisions = async () => (await readStream<AutoscalerDecisionData>(nc, 'decisions', decisionSubject('autoscaler', 'default', INFER))).map((e) => e.envelope.data);

  before(async function () {
    this.timeout(90_000);
    server = await startNatsServer();
    dataDir = mkdtempSync(join(tmpdir(), 'mi-e2e-zero-'));
    const logger = fileLogger(dataDir, 'control-plane');
    // The default composition, with a faster autoscaler tick.
    const components = defaultComponents().map((c) => (c.name !== 'autoscaler' ? c : { name: c.name, start: (ctx: { nc: NatsConnection; logger: typeof logger }) => startAutoscaler({ nc: ctx.nc, logger: ctx.logger, tickMs: TICK_MS, ensure: false }) }));
    cp = await startControlPlane({ natsUrl: server.url, dataDir, apiPort: 0, logger, components });
    gw = await startGatewayProcess(children, server.url, 'gw-zero');
    nc = await connectNats({ url: server.url, name: 'e2e-zero' });
    kv = await routesKv(nc);
    store = createResourceStore({ js: jetstream(nc), jsm: await jetstreamManager(nc), source: 'e2e' });
    await store.apply({
      apiVersion: 'registry.matrixinfer.ai/v1alpha1',
      kind: 'AutoscalingPolicy',
      metadata: { name: 'cold-inflight', namespace: 'default' },
      spec: { metrics: [{ metricName: 'gateway_in_flight', targetValue: 50 }] },
    });
    await store.apply({
      apiVersion: 'registry.matrixinfer.ai/v1alpha1',
      kind: 'Model',
      metadata: { name: MODEL, namespace: 'default' },
      spec: {
        name: MODEL,
        backends: [
          {
            name: 'sim',
            type: 'vLLM',
            modelURI: 'hf://e2e/tiny',
            minReplicas: 0,
            maxReplicas: 2,
            autoscalingPolicy: 'cold-inflight',
            workers: [{ type: 'server', replicas: 1, config: { profile: 'cpu-small' } }],
          },
        ],
      },
    });
    // At zero: the entry is routed (the gateway knows the model) with no endpoint.
    await waitFor('the model routed with no endpoint', async () => {
      const e = await readRoute(kv, MODEL);
      return (e !== null && entryEndpoints(e).length === 0) || undefined;
    }, { timeoutMs: 60_000 });
    await waitFor('the gateway has the entry', async () => {
      const models = (await (await fetch(`${gw.url}/v1/models`)).json()) as { data: { id: string }[] };
      return models.data.some((m) => m.id === MODEL) || undefined;
    }, { timeoutMs: 10_000 });
    expect(await replicas()).to.equal(0);
  });

  after(async function () {
    this.timeout(60_000);
    await nc?.close().catch(() => undefined);
    await children.killAll();
    await cp?.stop().catch(() => undefined);
    await server?.close();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  it(`a burst of ${BURST} requests at zero replicas: all complete once the model has scaled up`, async () => {
    const burstAt = Date.now();
    const answers = Array.from({ length: BURST }, (_, i) =>
      fetch(`${gw.url}/v1/chat/completions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ model: MODEL, max_tokens: 8, messages: [{ role: 'user', content: `wake up ${i}` }] }),
      }).then(async (r) => ({ status: r.status, body: await r.text(), endpoint: r.headers.get('x-mi-endpoint') })),
    );
    await waitFor('requests held by the gateway', async () => (await metricValue(gw.url, 'mi_gateway_held_requests', MODEL)) > 0 || undefined, { timeoutMs: 10_000, everyMs: 20 });

    const done = await Promise.all(answers);
    const allDoneMs = Date.now() - burstAt;
    for (const a of done) expect(a.status, a.body).to.equal(200);
    for (const a of done) expect(JSON.parse(a.body)).to.have.property('choices').with.length(1);
    expect(await metricValue(gw.url, 'mi_gateway_hold_released_total', MODEL)).to.equal(BURST);
    expect(await metricValue(gw.url, 'mi_gateway_hold_expired_total', MODEL)).to.equal(0);
    expect(await metricValue(gw.url, 'mi_gateway_held_requests', MODEL)).to.equal(0);

    expect((await replicas()) ?? 0).to.be.at.least(1);
    const wake = (await decisions()).find((d) => d.valid && d.currentReplicas === 0 && d.desiredReplicas > 0);
    expect(wake, 'a scale-from-zero decision').to.not.equal(undefined);
    expect(wake!.reason).to.match(/^scale from zero: \d+ request\(s\) held by gateways/);
    expect(wake!.tickStartMs - burstAt, 'decided from the held demand, within a few ticks').to.be.below(5 * TICK_MS + 1000);
    expect(entryEndpoints(await readRoute(kv, MODEL)).length).to.be.at.least(1);
    // Zero to all answered (a simulator replica starts in well under the gateway's 60 s hold).
    expect(allDoneMs).to.be.below(60_000);
  });
});
