// The endpoint controller and the projector together: a real nats-server, a simulator process,
// the children of a Model in MI_DESIRED. The routing table lists the adapter the controller
// loaded, drops the endpoint when it freezes (SIGSTOP) and lists it again after SIGCONT.
import { expect } from 'chai';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { startNatsServer, type TestNatsServer } from '@matrixinfer/events/testing';
import {
  BUCKETS,
  decodeRouteEntry,
  desiredSubject,
  ensureBuckets,
  ensureStreams,
  ENDPOINT_OBSERVATION,
  INSTANCE_LABELS,
  INSTANCE_OBSERVATION,
  observedSubject,
  openKv,
  RESOURCE_APPLIED,
  type EndpointObservation,
  type InstanceObservation,
  type RouteEntry,
} from '@matrixinfer/events';
import { publishEnvelope } from '../../actuator/bus.js';
import { startProjector } from '../../projector/index.js';
import { expandModel } from '../model/expand.js';
import { makeModel } from '../testdata.js';
import type { AnyResource, ModelServer } from '../types.js';
import { startEndpointController, type EndpointController } from './runner.js';
import { silentLogger, startSimProcess, waitFor, type SimProcess } from './testing.js';

const logger = silentLogger();

describe('endpoint controller + projector: mi-routes follows health and adapters (real nats-server, simulator)', function () {
  this.timeout(60_000);
  let server: TestNatsServer;
  let nc: NatsConnection;
  let sim: SimProcess | undefined;
  let controller: EndpointController | undefined;
  let projector: { stop(): Promise<void> } | undefined;

  before(async () => {
    server = await startNatsServer();
    nc = await connect({ servers: server.url });
    const jsm = await jetstreamManager(nc);
    await ensureStreams(jsm);
    await ensureBuckets(jetstream(nc), jsm);
  });
  after(async () => {
    await controller?.stop();
    await projector?.stop();
    await sim?.kill();
    await nc?.close();
    await server?.close();
  });

  it('lists the loaded adapter per endpoint; a frozen engine leaves the table (ModelServer healthCheck thresholds) and comes back', async () => {
    const js = jetstream(nc);
    sim = await startSimProcess(['--profile', 'cpu-small', '--model', 'm', '--enable-lora']);
    const model = makeModel('m', [{ name: 'b', loraAdapters: [{ name: 'sql', artifactURL: 'hf://o/sql' }] }]);
    const children = expandModel(model).filter((c) => c.kind === 'ModelServer' || c.kind === 'ModelRoute');
    const ms = children.find((c): c is ModelServer & AnyResource => c.kind === 'ModelServer')!;
    ms.spec.trafficPolicy = { healthCheck: { interval: '200ms', timeout: '200ms', unhealthyThreshold: 3, healthyThreshold: 1 } };
    for (const r of [model as unknown as AnyResource, ...children]) {
      await publishEnvelope(js, RESOURCE_APPLIED, 'test', desiredSubject(r.kind, 'default', r.metadata.name), r, Date.now());
    }
    const obs: InstanceObservation = {
      instance: 'm-b-0-server-0-0', namespace: 'default', modelInfer: 'm-b', phase: 'ready', revision: 'r1',
      labels: { [INSTANCE_LABELS.modelInfer]: 'm-b' }, address: sim.address, timeMs: Date.now(),
    };
    await publishEnvelope(js, INSTANCE_OBSERVATION, 'test', observedSubject('instance', 'default', 'm-b', obs.instance), obs, Date.now());
    const seen: EndpointObservation[] = [];
    const sub = nc.subscribe('mi.observed.endpoint.>', { callback: (_e, m) => {
      const env = m.json<{ type: string; data: EndpointObservation }>();
      if (env.type === ENDPOINT_OBSERVATION) seen.push(env.data);
    } });
    projector = await startProjector({ nc, logger, ensure: false });
    controller = await startEndpointController({ nc, logger, tickMs: 20 });
    const kv = await openKv(js, BUCKETS.routes);
    const entry = async (key: string): Promise<RouteEntry | undefined> => {
      const e = await kv.get(key);
      return e && e.operation === 'PUT' ? (decodeRouteEntry(e.value) ?? undefined) : undefined;
    };
    const endpoints = async (key: string): Promise<string[] | undefined> => {
      const e = await entry(key);
      return e?.servers['m-b']?.endpoints.map((x) => `${x.id}:${(x.adapters ?? ['?']).join('+')}`);
    };

    await waitFor('sql listed on the endpoint', async () => (await endpoints('sql'))?.join() === 'm-b-0-server-0-0:sql');
    expect(await endpoints('m')).to.deep.equal(['m-b-0-server-0-0:sql']);

    sim.freeze();
    await waitFor('endpoint gone from the table', async () => (await endpoints('m'))?.length === 0);
    // The ModelServer's thresholds were used, not the defaults (2).
    expect(seen.at(-1)!.reason).to.equal('unhealthy: 3 health probes in a row failed (last: timed out)');
    sim.thaw();
    await waitFor('endpoint back', async () => (await endpoints('m'))?.join() === 'm-b-0-server-0-0:sql');
    sub.unsubscribe();
  });
});
