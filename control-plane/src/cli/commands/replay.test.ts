// `mi replay --at` against a real nats-server: the routing table as it was before a failure.
import { expect } from 'chai';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import {
  INSTANCE_OBSERVATION,
  INSTANCES_DECISION,
  STREAMS,
  connectNats,
  createResourceStore,
  decisionSubject,
  ensureStreams,
  makeEvent,
  observedSubject,
  publishEvent,
  type InstanceObservation,
  type InstanceSpec,
  type ResourceInput,
} from '@matrixinfer/events';
import { startNatsServer, type TestNatsServer } from '@matrixinfer/events/testing';
import { expandModel } from '../../controllers/model/expand.js';
import { reconcileInfer } from '../../controllers/infer/reconcile.js';
import { makeModel, observe } from '../../controllers/testdata.js';
import type { ModelInfer } from '../../controllers/types.js';
import { runMi } from '../mi.js';
import { captureIO } from '../testing.js';

describe('mi replay --at (real nats-server)', function () {
  this.timeout(20_000);
  let server: TestNatsServer;
  let nc: NatsConnection;
  let beforeAll = 0;
  let bothReady = 0;

  const mi = async (args: string[]) => {
    const c = captureIO();
    const code = await runMi(['--nats-url', server.url, ...args], c.io);
    return { code, out: c.out, err: c.err };
  };

  /** Publishes on `subject` and returns the time the stream stored it, rounded up to the ms. */
  async function publishAt(stream: string, subject: string, type: string, data: unknown): Promise<number> {
    const js = jetstream(nc);
    const ack = await publishEvent(js, subject, makeEvent(type, 'test', subject, data));
    const sm = await (await jetstreamManager(nc)).streams.getMessage(stream, { seq: ack.seq });
    return Math.ceil(sm!.time.getTime() + 1);
  }

  async function afterMs(t: number): Promise<void> {
    while (Date.now() <= t) await new Promise((r) => setTimeout(r, 2));
  }

  before(async () => {
    server = await startNatsServer();
    nc = await connectNats({ url: server.url, name: 'replay-test' });
    const js = jetstream(nc);
    const jsm = await jetstreamManager(nc);
    await ensureStreams(jsm);
    beforeAll = Date.now() - 1;
    await afterMs(beforeAll + 1);
    const store = createResourceStore({ js, jsm });
    const model = makeModel('llama', [{ minReplicas: 2 }]);
    const children = expandModel(model);
    for (const r of [model, ...children]) await store.apply(r as unknown as ResourceInput);
    const mi = children.find((c): c is ModelInfer => c.kind === 'ModelInfer')!;
    const instances: InstanceSpec[] = reconcileInfer({ mi, published: [], observed: new Map(), nowMs: 0 }).next!.instances;
    const decSubject = decisionSubject('infer', 'default', mi.metadata.name);
    await publishAt(STREAMS.decisions, decSubject, INSTANCES_DECISION, { modelInfer: mi.metadata.name, namespace: 'default', generation: 1, instances, reason: 'scale 0 → 2' });
    const obs = (o: InstanceObservation) => publishAt(STREAMS.observed, observedSubject('instance', 'default', mi.metadata.name, o.instance), INSTANCE_OBSERVATION, o);
    await obs(observe(instances[0], 'ready', 10, 9000));
    bothReady = await obs(observe(instances[1], 'ready', 11, 9001));
    await afterMs(bothReady);
    await obs(observe(instances[1], 'failed', 12));
  });
  after(async () => {
    await nc?.close();
    await server?.close();
  });

  const endpointsAt = async (at: string) => {
    const r = await mi(['replay', '--at', at, '--model', 'llama', '-o', 'json']);
    expect(r.code, r.err.join('\n')).to.equal(0);
    const s = JSON.parse(r.out.join('\n'));
    return { s, eps: (s.routes.llama?.servers['llama-b0']?.endpoints ?? []).map((e: { address: string }) => e.address) };
  };

  it('shows both replicas routed at a time before one failed, one after', async () => {
    expect((await endpointsAt(new Date(bothReady).toISOString())).eps).to.deep.equal(['http://127.0.0.1:9000', 'http://127.0.0.1:9001']);
    const now = await endpointsAt(new Date(Date.now() + 1000).toISOString());
    expect(now.eps).to.deep.equal(['http://127.0.0.1:9000']);
    expect(now.s.resources.map((r: { kind: string }) => r.kind)).to.include.members(['Model', 'ModelInfer', 'ModelServer', 'ModelRoute']);
  });

  it('shows nothing before the first event; prints a readable table', async () => {
    const empty = await endpointsAt(String(beforeAll));
    expect(empty.s.routes).to.deep.equal({});
    expect(empty.s.resources).to.deep.equal([]);
    const text = await mi(['replay', '--at', new Date(bothReady).toISOString()]);
    expect(text.out[0]).to.match(/^State at \S+Z \(replayed up to MI_DESIRED #\d+, MI_DECISIONS #1, MI_OBSERVED #2\)$/);
    expect(text.out.join('\n')).to.match(/llama\s+model\s+llama\/\S+\s+llama-b0\s+100\s+\S+=http:\/\/127\.0\.0\.1:9000, \S+=http:\/\/127\.0\.0\.1:9001/);
  });
});
