// Issue #17 end to end: the control plane composition (local actuator, collector, autoscaler)
// with simulator replicas. A policy on `memory` reads each replica's resident memory from /proc
// (the actuator's ready pid → the collector → the autoscaler's sum) and scales; a policy on a
// metric no replica exposes says so in the binding's status, as `mi get` shows it.
import { expect } from 'chai';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import { defaultComponents, startAutoscaler, startControlPlane, type AutoscalerDecisionData, type ControlPlane } from '@matrixinfer/control-plane';
import { connectNats, createResourceStore, decisionSubject, type ResourceInput, type ResourceStore } from '@matrixinfer/events';
import { startNatsServer, type TestNatsServer } from '@matrixinfer/events/testing';
import type { ModelInfer } from '@matrixinfer/schemas';
import { autoscaledSimModel } from './support/manifests.js';
import { miOk } from './support/mi.js';
import { readStream } from './support/nats.js';
import { waitFor } from './support/poll.js';
import { fileLogger } from './support/system.js';

const TICK_MS = 500;

function policy(name: string, metricName: string, targetValue: string | number): ResourceInput {
  return {
    apiVersion: 'registry.matrixinfer.ai/v1alpha1',
    kind: 'AutoscalingPolicy',
    metadata: { name, namespace: 'default', annotations: { 'autoscaling.matrixinfer.ai/stable-window': '3s', 'autoscaling.matrixinfer.ai/panic-window-percent': '50' } },
    spec: { metrics: [{ metricName, targetValue }] },
  };
}

describe('replica CPU/memory and unknown metrics end to end (issue #17)', function () {
  this.timeout(120_000);
  let server: TestNatsServer;
  let dataDir: string;
  let cp: ControlPlane | undefined;
  let nc: NatsConnection;
  let store: ResourceStore;

  before(async function () {
    this.timeout(60_000);
    if (process.platform !== 'linux') this.skip();
    server = await startNatsServer();
    dataDir = mkdtempSync(join(tmpdir(), 'mi-e2e-resources-'));
    const logger = fileLogger(dataDir, 'control-plane');
    const components = defaultComponents().map((c) => (c.name !== 'autoscaler' ? c : { name: c.name, start: (ctx: { nc: NatsConnection; logger: typeof logger }) => startAutoscaler({ nc: ctx.nc, logger: ctx.logger, tickMs: TICK_MS, ensure: false }) }));
    cp = await startControlPlane({ natsUrl: server.url, dataDir, apiPort: 0, logger, components });
    nc = await connectNats({ url: server.url, name: 'e2e-resources' });
    store = createResourceStore({ js: jetstream(nc), jsm: await jetstreamManager(nc), source: 'e2e' });
  });

  after(async function () {
    this.timeout(60_000);
    await nc?.close().catch(() => undefined);
    await cp?.stop().catch(() => undefined);
    await server?.close();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  it('a policy on memory (1Mi per replica, below any real process) scales a simulator Model from 1 to its maximum of 2', async () => {
    const model = 'e2e-mem';
    const infer = `${model}-sim`;
    await store.apply(policy('by-memory', 'memory_bytes', '1Mi'));
    await store.apply(autoscaledSimModel({ name: model, policy: 'by-memory', minReplicas: 1, maxReplicas: 2 }));
    const replicas = async () => ((await store.get('ModelInfer', 'default', infer))?.spec as ModelInfer['spec'] | undefined)?.replicas;
    await waitFor('scaled to 2 on memory', async () => (await replicas()) === 2 || undefined, { timeoutMs: 60_000, everyMs: 200 });
    const decisions = (await readStream<AutoscalerDecisionData>(nc, 'decisions', decisionSubject('autoscaler', 'default', infer))).map((e) => e.envelope.data);
    const up = decisions.find((d) => d.valid && d.desiredReplicas > d.currentReplicas);
    expect(up, 'a scale-up decision').to.not.equal(undefined);
    // One simulator (node) holds tens of MiB resident.
    expect(up!.values.memory).to.be.greaterThan(10 * 2 ** 20);
    expect(up!.inputs.memory).to.include({ target: 2 ** 20 });
  });

  it('a policy on a metric no replica exposes: the binding status says UnknownMetric, naming it, in `mi get`', async () => {
    const model = 'e2e-ghost';
    const binding = `${model}-sim`;
    await store.apply(policy('by-gpu', 'DCGM_FI_DEV_GPU_UTIL', 60));
    await store.apply(autoscaledSimModel({ name: model, policy: 'by-gpu', minReplicas: 1, maxReplicas: 3 }));
    let out = '';
    await waitFor(
      'UnknownMetric in the binding status',
      async () => {
        out = await miOk(server.url, ['get', 'autoscalingpolicybindings', binding, '-o', 'json']);
        return /UnknownMetric/.test(out) || undefined;
      },
      { timeoutMs: 60_000, everyMs: 500, describe: () => out },
    );
    const conditions = (JSON.parse(out) as { status: { conditions: { type: string; status: string; reason: string; message: string }[] } }).status.conditions;
    const active = conditions.find((c) => c.type === 'Active');
    expect(active).to.include({ status: 'False', reason: 'UnknownMetric' });
    expect(active!.message).to.contain('DCGM_FI_DEV_GPU_UTIL');
    expect(conditions.find((c) => c.type === 'MetricsAvailable')).to.include({ status: 'False', reason: 'UnknownMetric' });
  });
});
