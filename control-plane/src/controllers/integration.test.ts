// The controllers and the projector against a real nats-server, with the test playing the
// actuator (it reads InstancesDecisions and publishes InstanceObservations).
import { expect } from 'chai';
import { jetstream, jetstreamManager, type JetStreamClient, type JetStreamManager } from '@nats-io/jetstream';
import type { KV } from '@nats-io/kv';
import type { NatsConnection } from '@nats-io/transport-node';
import winston from 'winston';
import {
  BUCKETS,
  connectNats,
  createResourceStore,
  decisionSubject,
  decodeEvent,
  decodeRouteEntry,
  encodeEvent,
  ensureBuckets,
  ensureStreams,
  INSTANCE_OBSERVATION,
  makeEvent,
  observedSubject,
  openKv,
  statusKey,
  STREAMS,
  type InstanceObservation,
  type InstancesDecision,
  type InstanceSpec,
  type ResourceInput,
  type ResourceStore,
  type RouteEntry,
} from '@matrixinfer/events';
import { startNatsServer, type TestNatsServer } from '@matrixinfer/events/testing';
import { startControllers } from './index.js';
import { startProjector } from '../projector/index.js';
import { makeModel } from './testdata.js';
import { foldModel, initialModelState } from './model/fold.js';
import { MODEL_DECISION } from './runner/events.js';
import { publishDecision } from './runner/publish.js';
import type { AnyResource } from './types.js';

const logger = winston.createLogger({ level: 'error', transports: [new winston.transports.Console({ silent: true })] });

async function until<T>(what: string, probe: () => Promise<T | undefined | null | false>, timeoutMs = 8000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const v = await probe();
      if (v) return v;
    } catch (err) {
      last = err;
    }
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`timed out waiting for ${what}${last ? `: ${(last as Error).message}` : ''}`);
}

describe('controllers + projector on nats-server', function () {
  this.timeout(60_000);
  let server: TestNatsServer;
  let nc: NatsConnection;
  let js: JetStreamClient;
  let jsm: JetStreamManager;
  let store: ResourceStore;
  let routes: KV;
  let status: KV;
  const running: { stop(): Promise<void> }[] = [];

  const start = async () => {
    running.push(await startControllers({ nc, logger }));
    running.push(await startProjector({ nc, logger }));
  };
  const stopAll = async () => {
    while (running.length > 0) await running.pop()!.stop();
  };
  const lastDecision = async (mi: string): Promise<InstancesDecision | null> => {
    const sm = await jsm.streams.getMessage(STREAMS.decisions, { last_by_subj: decisionSubject('infer', 'default', mi) }).catch(() => null);
    return sm ? decodeEvent<InstancesDecision>(sm.data).data : null;
  };
  const decisionCount = async () => (await jsm.streams.info(STREAMS.decisions)).state.messages;
  const observe = async (i: InstanceSpec, phase: InstanceObservation['phase'], port: number) => {
    const o: InstanceObservation = { instance: i.name, namespace: i.namespace, modelInfer: i.modelInfer, phase, revision: i.revision, labels: i.labels, timeMs: Date.now() };
    if (i.incarnation) o.incarnation = i.incarnation;
    if (phase === 'ready') o.address = `http://127.0.0.1:${port}`;
    const subject = observedSubject('instance', i.namespace, i.modelInfer, i.name);
    await js.publish(subject, encodeEvent(makeEvent(INSTANCE_OBSERVATION, 'test/actuator', subject, o)));
  };
  const entry = async (name: string): Promise<RouteEntry | null> => {
    const e = await routes.get(name);
    return e && e.operation === 'PUT' ? decodeRouteEntry(e.value) : null;
  };
  const endpoints = async () => (await entry('llama'))?.servers['llama-b0']?.endpoints.map((e) => e.id) ?? [];

  before(async () => {
    server = await startNatsServer();
    nc = await connectNats({ url: server.url, name: 'controllers-test' });
    js = jetstream(nc);
    jsm = await jetstreamManager(nc);
    await ensureStreams(jsm);
    await ensureBuckets(js, jsm);
    store = createResourceStore({ js, jsm, source: 'test' });
    routes = await openKv(js, BUCKETS.routes);
    status = await openKv(js, BUCKETS.status);
  });
  after(async () => {
    await stopAll().catch(() => undefined);
    await nc?.close();
    await server?.close();
  });

  it('Model -> children -> 2 instances -> ready -> routed; restart adds no decision; recovery; delete cascades', async () => {
    // A key left by an earlier run whose route no longer exists is removed at start.
    await routes.put('stale-model', '{"format":"mi.route/v1"}');
    await status.put('modelinfer.default.gone', '{}');
    // Regression: the projector deleted every mi-status key it did not produce, the
    // autoscaler's among them. It owns only model/modelinfer/modelserver statuses.
    await status.put('autoscaler.default.other', '{"desired":1}');
    await start();
    const stale = await routes.get('stale-model');
    expect(stale === null || stale.operation !== 'PUT').to.equal(true);
    const staleStatus = await status.get('modelinfer.default.gone');
    expect(staleStatus === null || staleStatus.operation !== 'PUT').to.equal(true);
    expect((await status.get('autoscaler.default.other'))?.operation).to.equal('PUT');
    await store.apply(makeModel('llama', [{ minReplicas: 2 }]) as unknown as ResourceInput);

    // Children appear, each owned by the Model.
    const mi = await until('ModelInfer child', () => store.get('ModelInfer', 'default', 'llama-b0'));
    const owner = (await store.get('Model', 'default', 'llama'))!.metadata.uid;
    expect(mi.metadata.ownerReferences?.[0]).to.include({ kind: 'Model', name: 'llama', uid: owner });
    await until('ModelServer child', () => store.get('ModelServer', 'default', 'llama-b0'));
    await until('ModelRoute child', () => store.get('ModelRoute', 'default', 'llama'));

    // The infer controller asks for two instances.
    const d1 = await until('an InstancesDecision with 2 instances', async () => {
      const d = await lastDecision('llama-b0');
      return d && d.instances.length === 2 ? d : null;
    });
    expect(d1.instances.map((i) => i.name)).to.deep.equal(['llama-b0-0-server-0-0', 'llama-b0-1-server-0-0']);
    expect(d1.instances[0].command).to.deep.equal(['mi-engine-sim']);
    expect(d1.instances[0].args).to.include.members(['--model', 'llama']);

    // Ready observations -> the routing entry lists both; the Model becomes Active.
    await observe(d1.instances[0], 'ready', 9100);
    await observe(d1.instances[1], 'ready', 9101);
    await until('both endpoints routed', async () => (await endpoints()).length === 2);
    await until('Model Active', async () => {
      const e = await status.get(statusKey('Model', 'default', 'llama'));
      const st = e ? (JSON.parse(new TextDecoder().decode(e.value)) as { conditions: { type: string; status: string }[] }) : null;
      return st?.conditions.some((c) => c.type === 'Active' && c.status === 'True');
    });

    // Restart every runner: no decision is stored twice, no route rewritten.
    const decisionsBefore = await decisionCount();
    // One model decision (create the children) and one infer decision (two instances).
    expect(decisionsBefore).to.equal(2);
    const routeRevision = (await routes.get('llama'))!.revision;
    const desiredBefore = (await jsm.streams.info(STREAMS.desired)).state.messages;
    await stopAll();
    await start();
    await start(); // a second replica of each, at the same time
    expect(await decisionCount()).to.equal(decisionsBefore);
    expect((await jsm.streams.info(STREAMS.desired)).state.messages).to.equal(desiredBefore);
    expect((await routes.get('llama'))!.revision).to.equal(routeRevision);

    // One instance fails: RoleRecreate recreates it (incarnation 1), the route drops it until it is ready again.
    await observe(d1.instances[1], 'failed', 0);
    const d2 = await until('a recovery decision', async () => {
      const d = await lastDecision('llama-b0');
      return d && d.instances[1].incarnation === 1 ? d : null;
    });
    expect(d2.reason).to.match(/RoleRecreate/);
    expect(d2.instances[0].incarnation).to.equal(undefined);
    await until('failed endpoint dropped', async () => JSON.stringify(await endpoints()) === JSON.stringify(['llama-b0-0-server-0-0']));
    await observe(d2.instances[1], 'ready', 9102);
    await until('recreated endpoint re-added', async () => (await endpoints()).length === 2);
    expect((await entry('llama'))!.servers['llama-b0'].endpoints[1].address).to.equal('http://127.0.0.1:9102');
    // Two replicas of each runner: the recovery is one decision, not two.
    const recoveries = (await decisionCount()) - decisionsBefore;
    expect(recoveries).to.equal(1);

    // Delete the Model: children go, the instance set empties, the routing entry disappears.
    await store.delete('Model', 'default', 'llama');
    await until('children deleted', async () => !(await store.get('ModelInfer', 'default', 'llama-b0')) && !(await store.get('ModelRoute', 'default', 'llama')) && !(await store.get('ModelServer', 'default', 'llama-b0')));
    await until('empty instance set', async () => (await lastDecision('llama-b0'))?.instances.length === 0);
    await until('route removed', async () => (await entry('llama')) === null);
    await stopAll();
  });

  it('a Model engine-args change rolls the replicas one at a time; the decisions tell it in order', async () => {
    await start();
    const model = makeModel('roll', [{ minReplicas: 2, workers: [{ type: 'server', config: { 'itl-ms': 10 } }] }]);
    await store.apply(model as unknown as ResourceInput);
    const d0 = await until('initial instances', async () => {
      const d = await lastDecision('roll-b0');
      return d && d.instances.length === 2 ? d : null;
    });
    const ready = async (d: InstancesDecision) => {
      for (const [n, i] of d.instances.entries()) await observe(i, 'ready', 9200 + n);
    };
    await ready(d0);
    const seqBefore = (await jsm.streams.info(STREAMS.decisions)).state.last_seq;

    const changed = makeModel('roll', [{ minReplicas: 2, workers: [{ type: 'server', config: { 'itl-ms': 20 } }] }]);
    await store.apply(changed as unknown as ResourceInput);
    const oldRev = d0.instances[0].revision;
    const d1 = await until('first rollout step', async () => {
      const d = await lastDecision('roll-b0');
      return d && d.instances.some((i) => i.revision !== oldRev) ? d : null;
    });
    // maxUnavailable 1: exactly one group replaced, the highest first.
    expect(d1.instances.map((i) => i.revision === oldRev)).to.deep.equal([true, false]);
    expect(d1.reason).to.match(/^rolling update: replace group 1/);
    expect(d1.instances[1].args).to.include.members(['--itl-ms', '20']);
    // A ready report of the untouched old group must not advance the rollout (the story below
    // has no step in between); the new group's ready report does.
    await ready({ ...d1, instances: [d1.instances[0]] });
    await ready({ ...d1, instances: [d1.instances[1]] });
    const d2 = await until('second rollout step', async () => {
      const d = await lastDecision('roll-b0');
      return d && d.instances.every((i) => i.revision !== oldRev) ? d : null;
    });
    expect(d2.reason).to.match(/^rolling update: replace group 0/);

    // The stream, read in order, tells the story: model update, step 1, step 2.
    const story: string[] = [];
    const sub = await jsm.streams.info(STREAMS.decisions);
    for (let seq = seqBefore + 1; seq <= sub.state.last_seq; seq++) {
      const sm = await jsm.streams.getMessage(STREAMS.decisions, { seq });
      if (!sm || (!sm.subject.endsWith('.roll') && !sm.subject.endsWith('.roll-b0'))) continue;
      story.push(`${sm.subject.split('.')[2]}: ${decodeEvent<{ reason: string }>(sm.data).data.reason}`);
    }
    expect(story).to.have.length(3);
    expect(story[0]).to.match(/^model: Model roll \(revision \d+\) asks for update ModelInfer\/roll-b0$/);
    expect(story[1]).to.match(/^infer: rolling update: replace group 1 \(revision \w+ → \w+; 1\/2 groups stay available, maxUnavailable 1\)$/);
    expect(story[2]).to.match(/^infer: rolling update: replace group 0 /);
    await stopAll();
  });

  it('a decision published just before a crash (writes never applied) is applied on restart, not decided again', async () => {
    const { resource } = await store.apply(makeModel('crash') as unknown as ResourceInput);
    // What the crashed controller had done: decide and publish, nothing more.
    const r = resource as unknown as AnyResource;
    const [d] = foldModel(initialModelState(), { type: 'resource', kind: 'Model', namespace: 'default', name: 'crash', revision: Number(r.metadata.resourceVersion), resource: r }).decisions;
    const subject = decisionSubject('model', 'default', 'crash');
    await publishDecision({ js, subject, type: MODEL_DECISION, source: 'test', id: d.id, data: d, expectedLastSeq: 0, nowMs: Date.now() });
    await start();
    await until('children applied', async () => (await store.get('ModelInfer', 'default', 'crash-b0')) && (await store.get('ModelRoute', 'default', 'crash')));
    await until('instances decided', async () => (await lastDecision('crash-b0'))?.instances.length === 1);
    const info = await jsm.streams.info(STREAMS.decisions, { subjects_filter: subject });
    expect(info.state.subjects?.[subject]).to.equal(1);
    await stopAll();
  });

  it('the traceparent of a write follows into the model decision, the child writes and the infer decision; a later untraced change carries none', async () => {
    await start();
    try {
      const tp = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';
      await store.apply(makeModel('traced', [{ minReplicas: 1 }]) as unknown as ResourceInput, { traceparent: tp });
      const envelopeOf = async (stream: string, subject: string) => {
        const sm = await jsm.streams.getMessage(stream, { last_by_subj: subject }).catch(() => null);
        return sm ? decodeEvent(sm.data) : null;
      };
      expect((await envelopeOf(STREAMS.desired, 'mi.desired.model.default.traced'))?.traceparent).to.equal(tp);
      const model = await until('the model decision', () => envelopeOf(STREAMS.decisions, decisionSubject('model', 'default', 'traced')));
      expect(model.traceparent).to.equal(tp);
      const child = await until('the ModelInfer child event', () => envelopeOf(STREAMS.desired, 'mi.desired.modelinfer.default.traced-b0'));
      expect(child.traceparent).to.equal(tp);
      const infer = await until('the infer decision', () => envelopeOf(STREAMS.decisions, decisionSubject('infer', 'default', 'traced-b0')));
      expect(infer.traceparent).to.equal(tp);
      // Observations are not requests: the decision they cause carries no trace context.
      const d = infer.data as InstancesDecision;
      await observe(d.instances[0], 'ready', 45678);
      await observe(d.instances[0], 'exited', 45678);
      const recovery = await until('a recovery decision', async () => {
        const e = await envelopeOf(STREAMS.decisions, decisionSubject('infer', 'default', 'traced-b0'));
        return e && e.id !== infer.id ? e : null;
      });
      expect('traceparent' in recovery).to.equal(false);
    } finally {
      await stopAll();
    }
  });
});

