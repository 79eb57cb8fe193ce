// A binding on a Deployment, end to end on the Kubernetes edges: kubectl creates the Deployment
// and the binding; the ingest brings the binding into MI_DESIRED, the scale observer reads the
// Deployment's /scale into MI_OBSERVED, the autoscaler decides (minReplicas 2 > 1 running), and
// the scale applier writes spec.replicas through the scale subresource: the pod template (and so
// the rollout) is untouched. Runs against KUBECONFIG's cluster when it is set.
import { expect } from 'chai';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import winston from 'winston';
import { startAutoscaler, type RunningAutoscaler } from '@matrixinfer/control-plane';
import { STREAMS, decodeEvent, ensureBuckets, ensureStreams, scaleObservedSubject, type ScaleObservation } from '@matrixinfer/events';
import { startNatsServer, type TestNatsServer } from '@matrixinfer/events/testing';
import { startIngest, type Ingest } from '../ingest/runner.js';
import { testCluster, type TestCluster } from '../testing/apiserver/cluster.js';
import { kubectl, kubectlPath } from '../testing/apiserver/kubectl.js';
import { startScaleApplier, type ScaleApplier } from './applier.js';
import { startScaleObserver, type ScaleObserver } from './observer.js';
import { scaleTargetsOf } from './targets.js';

const CRD_DIR = fileURLToPath(new URL('../../crds/', import.meta.url));
const CRDS = readdirSync(CRD_DIR).filter((f) => f.endsWith('.yaml')).map((f) => join(CRD_DIR, f));
const logger = winston.createLogger({ level: 'error', transports: [new winston.transports.Console({ silent: true })] });

async function until<T>(what: string, probe: () => Promise<T | undefined | null | false>, ms = 15_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await probe();
    if (v) return v;
    if (Date.now() > end) throw new Error(`${what}: not met in time`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

const MANIFESTS = `
apiVersion: apps/v1
kind: Deployment
metadata: { name: web, namespace: default }
spec:
  replicas: 1
  selector: { matchLabels: { app: web } }
  template:
    metadata: { labels: { app: web } }
    spec: { containers: [{ name: web, image: "nginx:1.27" }] }
---
apiVersion: registry.matrixinfer.ai/v1alpha1
kind: AutoscalingPolicy
metadata: { name: web-policy, namespace: default }
spec:
  metrics: [{ metricName: vllm:num_requests_waiting, targetValue: 10 }]
---
apiVersion: registry.matrixinfer.ai/v1alpha1
kind: AutoscalingPolicyBinding
metadata: { name: web, namespace: default }
spec:
  policyRef: { name: web-policy }
  scalingConfiguration:
    target: { targetRef: { apiVersion: apps/v1, kind: Deployment, name: web } }
    minReplicas: 2
    maxReplicas: 4
`;

describe('scale targets: pure core', () => {
  it('lists the bound workloads that are not ModelInfers, once each', () => {
    const b = (name: string, refs: object[]) => ({ metadata: { name, namespace: 'ns' }, spec: { optimizerConfiguration: { params: refs.map((targetRef) => ({ target: { targetRef } })) } } });
    const targets = scaleTargetsOf([
      b('one', [{ apiVersion: 'apps/v1', kind: 'StatefulSet', name: 'db' }, { kind: 'ModelInfer', name: 'mi' }, { name: 'default-kind' }]),
      b('two', [{ apiVersion: 'apps/v1', kind: 'StatefulSet', name: 'db' }, { apiVersion: 'apps/v1', kind: 'Deployment', name: 'api' }]),
    ]);
    expect(targets).to.deep.equal([
      { namespace: 'ns', apiVersion: 'apps/v1', kind: 'Deployment', name: 'api' },
      { namespace: 'ns', apiVersion: 'apps/v1', kind: 'StatefulSet', name: 'db' },
    ]);
  });
});

describe('scale targets on Kubernetes (real nats-server, test API server or KUBECONFIG, real kubectl)', function () {
  this.timeout(90_000);
  let server: TestNatsServer;
  let nc: NatsConnection;
  let cluster: TestCluster;
  const stops: { stop(): Promise<void> }[] = [];

  before(async function () {
    if (!kubectlPath()) this.skip();
    server = await startNatsServer();
    nc = await connect({ servers: server.url });
    const jsm = await jetstreamManager(nc);
    await ensureStreams(jsm);
    await ensureBuckets(jetstream(nc), jsm);
    cluster = await testCluster({ crds: CRDS, namespaces: ['default'] });
  });
  after(async () => {
    while (stops.length > 0) await stops.pop()!.stop();
    if (cluster) await kubectl(cluster, ['delete', '-f', '-', '--ignore-not-found'], { input: MANIFESTS });
    await cluster?.stop();
    await nc?.close();
    await server?.stop();
  });

  const observations = async (): Promise<ScaleObservation[]> => {
    const js = jetstream(nc);
    const consumer = await js.consumers.get(STREAMS.observed, { filter_subjects: scaleObservedSubject('default', 'Deployment', 'web') });
    const out: ScaleObservation[] = [];
    const pending = (await consumer.info(true)).num_pending;
    for (let i = 0; i < pending; i++) {
      const m = await consumer.next({ expires: 1000 });
      if (!m) break;
      out.push(decodeEvent<ScaleObservation>(m.data).data);
    }
    await consumer.delete().catch(() => undefined);
    return out;
  };
  const deployment = async () => JSON.parse((await kubectl(cluster, ['get', 'deployment', 'web', '-n', 'default', '-o', 'json'])).stdout) as { spec: { replicas: number; template: unknown } };

  it('a binding on a Deployment scales it through its scale subresource, template untouched', async () => {
    const applied = await kubectl(cluster, ['apply', '-f', '-'], { input: MANIFESTS });
    expect(applied.code, applied.stderr).to.equal(0);
    const before = await deployment();
    expect(before.spec.replicas).to.equal(1);

    const observer: ScaleObserver = await startScaleObserver({ nc, kubeConfig: cluster.kubeConfig, logger, intervalMs: 100 });
    stops.push(observer);
    const first = await until('an observation of 1 replica', async () => (await observations()).find((o) => o.specReplicas === 1));
    expect(first).to.include({ apiVersion: 'apps/v1', kind: 'Deployment', name: 'web', namespace: 'default' });

    const ingest: Ingest = await startIngest({ nc, kubeConfig: cluster.kubeConfig, logger, initialBackoffMs: 50, maxBackoffMs: 200 });
    await ingest.synced;
    stops.push(ingest);
    const applier: ScaleApplier = await startScaleApplier({ nc, kubeConfig: cluster.kubeConfig, logger });
    await applier.ready;
    stops.push(applier);
    const autoscaler: RunningAutoscaler = await startAutoscaler({ nc, logger, tickMs: 200, ensure: false });
    stops.push(autoscaler);

    await until('the Deployment at 2 replicas', async () => (await deployment()).spec.replicas === 2);
    const after = await deployment();
    expect(after.spec.template, 'pod template unchanged: no rollout').to.deep.equal(before.spec.template);
    await until('an observation of 2 replicas', async () => (await observations()).find((o) => o.specReplicas === 2));
  });
});
