import { expect } from 'chai';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import winston from 'winston';
import { INSTANCES_DECISION, INSTANCE_LABELS, decisionSubject, ensureStreams, makeEvent, observedSubject, publishEvent, type InstanceSpec } from '@matrixinfer/events';
import { startNatsServer, type TestNatsServer } from '@matrixinfer/events/testing';
import { startK8sActuator, type K8sActuator } from './actuator.js';
import { startTestApiServer, type TestApiServer } from '../testing/apiserver/server.js';
import type { KObject } from '../testing/apiserver/types.js';
import { instanceSpec } from './testdata.js';
import { fileURLToPath } from 'node:url';
import { createControlPlaneMetrics, type ControlPlaneMetrics } from '@matrixinfer/control-plane';

const CRD = fileURLToPath(new URL('../../crds/modelinfers.workload.matrixinfer.ai.yaml', import.meta.url));

const logger = winston.createLogger({ level: 'error', transports: [new winston.transports.Console({ silent: true })] });

async function until(cond: () => boolean | Promise<boolean>, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('k8s actuator (real nats-server, real client-node, test API server)', function () {
  this.timeout(30_000);
  let server: TestNatsServer;
  let nc: NatsConnection;
  let api: TestApiServer;
  let actuator: K8sActuator | undefined;
  before(async () => {
    server = await startNatsServer();
    nc = await connect({ servers: server.url });
    await ensureStreams(await jetstreamManager(nc));
  });
  beforeEach(async () => {
    api = await startTestApiServer({ crds: [CRD], namespaces: ['default', 'ns'] });
  });
  afterEach(async () => {
    await actuator?.stop();
    await api?.stop();
  });
  after(async () => {
    await nc?.close();
    await server?.stop();
  });

  let generation = 1;
  async function decide(instances: InstanceSpec[]): Promise<void> {
    const subject = decisionSubject('infer', 'ns', 'llama');
    await publishEvent(jetstream(nc), subject, makeEvent(INSTANCES_DECISION, 'infer', subject, { modelInfer: 'llama', namespace: 'ns', generation: generation++, instances, reason: 'test' }));
  }
  const rt = (plural: string) => api.registry.all().find((r) => r.plural === plural)!;
  const objects = (plural: 'pods' | 'services') => api.core.list(rt(plural), 'ns', {}).items as (KObject & { metadata: NonNullable<KObject['metadata']> })[];
  const sys = { dryRun: false, fieldValidation: 'Strict' as const, userAgent: 'test' };
  const createModelInfer = async () => (await api.core.create(rt('modelinfers'), 'ns', { metadata: { name: 'llama' }, spec: { replicas: 1, template: { roles: [{ name: 'server', replicas: 1, entryTemplate: { spec: { containers: [{ name: 'e', image: 'x:1' }] } } }] } } }, sys)).object.metadata!.uid!;
  const pod = (name: string) => objects('pods').find((p) => p.metadata.name === name);
  const obs = (name: string) => actuator!.observations().find((o) => o.instance === name);
  async function counts(m: ControlPlaneMetrics, name: string, label: string): Promise<Record<string, number>> {
    const out: Record<string, number> = {};
    for (const v of (await m.registry.getSingleMetric(name)!.get()).values) out[String(v.labels[label])] = v.value;
    return out;
  }

  it('decision → Pods and Service owned by the ModelInfer → Ready observation with the pod address → outside delete left to recovery → new incarnation recreates; mi_actuator_* count each step', async () => {
    const uid = await createModelInfer();
    const specs = [instanceSpec({ podIndex: 0, workers: 1 }), instanceSpec({ podIndex: 1, workers: 1 })];
    await decide(specs);
    const metrics = createControlPlaneMetrics();
    actuator = await startK8sActuator({ nc, kubeConfig: api.kubeConfig, logger, retryMs: 200, metrics });
    await actuator.ready;
    await until(() => objects('pods').length === 2 && objects('services').length === 1);
    // The counter moves once the API server has answered the create, a moment after the object exists.
    const ops = () => counts(metrics, 'mi_actuator_operations_total', 'operation');
    await until(async () => (await ops())['create-pod'] === 2 && (await ops())['create-service'] === 1);
    expect(await ops()).to.include({ 'create-pod': 2, 'create-service': 1 });
    const entry = pod('llama-0-server-0-0')!;
    expect((entry.metadata as { ownerReferences?: { uid: string }[] }).ownerReferences?.[0].uid).to.equal(uid);
    expect(entry.metadata.labels?.[INSTANCE_LABELS.group]).to.equal('llama-0');
    expect(objects('services')[0].metadata.name).to.equal('llama-0');

    // The kubelet's part: schedule and make the entry ready.
    const bound = (await api.core.update(rt('pods'), 'ns', entry.metadata.name!, { ...entry, spec: { ...(entry.spec as object), nodeName: 'n1' } }, '', sys)).object;
    await api.core.update(rt('pods'), 'ns', entry.metadata.name!, { ...bound, status: { phase: 'Running', podIP: '127.0.1.5', conditions: [{ type: 'Ready', status: 'True' }] } }, 'status', sys);
    await until(() => obs('llama-0-server-0-0')?.phase === 'ready');
    expect(obs('llama-0-server-0-0')!.address).to.equal('http://127.0.1.5:8000');
    const jsm = await jetstreamManager(nc);
    const last = await jsm.streams.getMessage('MI_OBSERVED', { last_by_subj: observedSubject('instance', 'ns', 'llama', 'llama-0-server-0-0') });
    expect(last?.json<{ data: { phase: string } }>().data.phase).to.equal('ready');

    // Deleted by someone else: observed `exited`, not recreated by the actuator.
    await api.core.delete(rt('pods'), 'ns', 'llama-0-server-0-1', { gracePeriodSeconds: 0 }, sys);
    await until(() => obs('llama-0-server-0-1')?.phase === 'exited');
    await new Promise((r) => setTimeout(r, 500)); // two retry passes
    expect(pod('llama-0-server-0-1')).to.equal(undefined);

    // Recovery (RoleRecreate): the same role replica with incarnation 1 → both Pods replaced.
    await decide(specs.map((s) => ({ ...s, incarnation: 1 })));
    // A bound Pod is deleted gracefully: the kubelet (played here) confirms with grace 0.
    const confirm = (): true => {
      for (const p of objects('pods')) if (p.metadata.deletionTimestamp) void api.core.delete(rt('pods'), 'ns', p.metadata.name!, { gracePeriodSeconds: 0 }, sys).catch(() => undefined);
      return true;
    };
    await until(() => confirm() && objects('pods').length === 2 && objects('pods').every((p) => p.metadata.annotations?.['modelinfer.matrixinfer.ai/incarnation'] === '1'));
    expect(obs('llama-0-server-0-0')?.phase).to.be.oneOf(['stopped', 'pending']);

    // Scale to zero: everything of the ModelInfer goes.
    await decide([]);
    await until(() => confirm() && objects('pods').length === 0 && objects('services').length === 0);
    await until(async () => (await ops())['delete-service'] === 1 && (await ops())['delete-pod'] >= 3);
    const done = await ops();
    expect(done['create-pod']).to.equal(4);
    expect(done['delete-pod']).to.be.at.least(3);
    expect(done['delete-service']).to.equal(1);
    // The one Pod deleted by someone else; the actuator's own deletions are not failures.
    expect(await counts(metrics, 'mi_actuator_failures_total', 'reason')).to.deep.include({ 'pod-lost': 1 });
    expect((await counts(metrics, 'mi_controlplane_reconciles_total', 'result')).ok).to.be.greaterThan(0);
  });

  it('creates nothing while the ModelInfer is not in the API server, then catches up', async () => {
    await decide([instanceSpec()]);
    actuator = await startK8sActuator({ nc, kubeConfig: api.kubeConfig, logger, retryMs: 100 });
    await actuator.ready;
    await new Promise((r) => setTimeout(r, 300));
    expect(objects('pods')).to.have.length(0);
    await createModelInfer();
    await until(() => objects('pods').length === 1);
  });
});
