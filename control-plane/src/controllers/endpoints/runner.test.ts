// Integration test of the endpoint controller: a real nats-server, real simulator processes.
import { expect } from 'chai';
import { connect, type NatsConnection, type Subscription } from '@nats-io/transport-node';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { startNatsServer, type TestNatsServer } from '@matrixinfer/events/testing';
import {
  desiredSubject,
  ENDPOINT_OBSERVATION,
  INSTANCE_OBSERVATION,
  LORA_DECISION,
  LORA_RESULT,
  observedSubject,
  RESOURCE_APPLIED,
  type EndpointObservation,
  type InstanceObservation,
  type LoraDecision,
  type LoraResult,
} from '@matrixinfer/events';
import { publishEnvelope } from '../../actuator/bus.js';
import { makeModel } from '../testdata.js';
import type { ModelBackend } from '../types.js';
import { startEndpointController, type EndpointController } from './runner.js';
import { silentLogger, startSimProcess, waitFor, type SimProcess, purgeEventStreams } from './testing.js';

const logger = silentLogger();

async function listed(address: string): Promise<string[]> {
  const body = (await (await fetch(`${address}/v1/models`)).json()) as { data: { id: string; parent: string | null }[] };
  return body.data.filter((d) => d.parent).map((d) => d.id).sort();
}

async function post(url: string, body: unknown): Promise<number> {
  const r = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  await r.arrayBuffer();
  return r.status;
}

describe('endpoint controller (real nats-server, simulator processes)', function () {
  this.timeout(60_000);
  let server: TestNatsServer;
  let nc: NatsConnection;
  let sub: Subscription;
  let controller: EndpointController | undefined;
  let observations: EndpointObservation[] = [];
  let decisions: LoraDecision[] = [];
  let results: LoraResult[] = [];
  const sims: SimProcess[] = [];

  before(async () => {
    server = await startNatsServer();
    nc = await connect({ servers: server.url });
    const jsm = await jetstreamManager(nc);
    for (const [name, subject] of [['MI_DESIRED', 'mi.desired.>'], ['MI_OBSERVED', 'mi.observed.>'], ['MI_DECISIONS', 'mi.decisions.>']]) await jsm.streams.add({ name, subjects: [subject] });
    sub = nc.subscribe('mi.>', {
      callback: (_err, m) => {
        const env = m.json<{ type: string; data: unknown }>();
        if (env.type === ENDPOINT_OBSERVATION) observations.push(env.data as EndpointObservation);
        if (env.type === LORA_DECISION) decisions.push(env.data as LoraDecision);
        if (env.type === LORA_RESULT) results.push(env.data as LoraResult);
      },
    });
  });
  after(async () => {
    sub?.unsubscribe();
    await nc?.close();
    await server?.close();
  });
  afterEach(async () => {
    await controller?.stop();
    controller = undefined;
    await Promise.all(sims.splice(0).map((s) => s.kill()));
    observations = [];
    decisions = [];
    results = [];
    await purgeEventStreams(nc);
  });

  const js = () => jetstream(nc);
  async function applyModel(backend: Partial<ModelBackend>): Promise<void> {
    const model = makeModel('m', [{ name: 'b', ...backend }]);
    await publishEnvelope(js(), RESOURCE_APPLIED, 'test', desiredSubject('Model', 'default', 'm'), model, Date.now());
  }
  async function ready(instance: string, address: string, incarnation = 0): Promise<void> {
    const o: InstanceObservation = { instance, namespace: 'default', modelInfer: 'm-b', phase: 'ready', revision: 'r1', labels: {}, address, timeMs: Date.now() };
    if (incarnation) o.incarnation = incarnation;
    await publishEnvelope(js(), INSTANCE_OBSERVATION, 'test', observedSubject('instance', 'default', 'm-b', instance), o, Date.now());
  }
  async function sim(args: string[] = []): Promise<SimProcess> {
    const s = await startSimProcess(['--profile', 'cpu-small', '--model', 'base', '--enable-lora', '--lora-load-delay-ms', '100', ...args]);
    sims.push(s);
    return s;
  }
  const start = async (): Promise<void> => {
    controller = await startEndpointController({
      nc,
      logger,
      tickMs: 20,
      defaultHealth: { intervalMs: 200, timeoutMs: 200, unhealthyThreshold: 2, healthyThreshold: 1 },
      retry: { baseMs: 100, maxMs: 400 },
    });
  };
  const lastObs = (instance: string): EndpointObservation | undefined => observations.filter((o) => o.instance === instance).at(-1);

  it('loads desired adapters into every ready endpoint, publishes what each serves, and follows Model changes (add, remove) live', async () => {
    const [a, b] = await Promise.all([sim(), sim()]);
    await applyModel({ loraAdapters: [{ name: 'sql', artifactURL: 'hf://org/sql' }] });
    await ready('m-b-0', a.address);
    await ready('m-b-1', b.address);
    await start();
    for (const s of [a, b]) await waitFor('sql loaded', async () => (await listed(s.address)).includes('sql'));
    await waitFor('observations with sql', () => lastObs('m-b-0')?.adapters?.includes('sql') && lastObs('m-b-1')?.adapters?.includes('sql'));
    const d = decisions.find((x) => x.instance === 'm-b-0')!;
    expect(d).to.deep.include({ action: 'load', adapter: 'sql', path: 'org/sql', kind: 'load', attempt: 1, address: a.address, modelInfer: 'm-b' });
    expect(d.reason).to.equal('adapter sql is desired and not loaded: loading it from org/sql (Model default/m backend b)');
    expect(results.find((x) => x.instance === 'm-b-0')).to.deep.include({ action: 'load', adapter: 'sql', ok: true, status: 200 });
    expect(lastObs('m-b-0')).to.deep.include({ healthy: true, address: a.address, revision: 'r1' });

    await applyModel({ loraAdapters: [{ name: 'chat', artifactURL: 'file:///adapters/chat' }] });
    for (const s of [a, b]) await waitFor('chat instead of sql', async () => (await listed(s.address)).join() === 'chat');
    expect(decisions.filter((x) => x.instance === 'm-b-1').map((x) => `${x.kind} ${x.adapter}`)).to.deep.equal(['load sql', 'unload sql', 'load chat']);
    await waitFor('observation lists chat only', () => lastObs('m-b-1')?.adapters?.join() === 'chat');
  });

  it("a ModelServer's own adapters are loaded into the endpoints it selects, next to the Model's, and unloaded when removed", async () => {
    const [a, b] = await Promise.all([sim(), sim()]);
    await applyModel({ loraAdapters: [{ name: 'sql', artifactURL: 'hf://org/sql' }] });
    const labelled = async (instance: string, address: string, tier: string) => {
      const o: InstanceObservation = { instance, namespace: 'default', modelInfer: 'm-b', phase: 'ready', revision: 'r1', labels: { tier }, address, timeMs: Date.now() };
      await publishEnvelope(js(), INSTANCE_OBSERVATION, 'test', observedSubject('instance', 'default', 'm-b', instance), o, Date.now());
    };
    await labelled('m-b-0', a.address, 'gold');
    await labelled('m-b-1', b.address, 'basic');
    const server = (adapters: { name: string; artifactURL: string }[]) => ({
      apiVersion: 'networking.matrixinfer.ai/v1alpha1',
      kind: 'ModelServer',
      metadata: { name: 'gold', namespace: 'default' },
      spec: { inferenceEngine: 'vLLM', workloadSelector: { matchLabels: { tier: 'gold' } }, loraAdapters: adapters },
    });
    await publishEnvelope(js(), RESOURCE_APPLIED, 'test', desiredSubject('ModelServer', 'default', 'gold'), server([{ name: 'legal', artifactURL: 'hf://org/legal' }]), Date.now());
    await start();
    await waitFor('gold endpoint serves sql and legal', async () => (await listed(a.address)).join() === 'legal,sql');
    await waitFor('basic endpoint serves sql only', async () => (await listed(b.address)).join() === 'sql');
    const d = decisions.find((x) => x.instance === 'm-b-0' && x.adapter === 'legal')!;
    expect(d.reason).to.match(/\(Model default\/m backend b, ModelServer default\/gold\)$/);
    await publishEnvelope(js(), RESOURCE_APPLIED, 'test', desiredSubject('ModelServer', 'default', 'gold'), server([]), Date.now());
    await waitFor('legal unloaded from the gold endpoint', async () => (await listed(a.address)).join() === 'sql');
  });

  it('repairs drift: an adapter the engine lost is reloaded (repair), one it should not have is unloaded; a restarted engine gets its adapters back', async () => {
    const a = await sim();
    await applyModel({ loraAdapters: [{ name: 'sql', artifactURL: 'hf://org/sql' }] });
    await ready('m-b-0', a.address);
    await start();
    await waitFor('sql loaded', async () => (await listed(a.address)).includes('sql'));
    expect(await post(`${a.address}/v1/unload_lora_adapter`, { lora_name: 'sql' })).to.equal(200);
    expect(await post(`${a.address}/v1/load_lora_adapter`, { lora_name: 'rogue', lora_path: '/x' })).to.equal(200);
    await waitFor('repaired', async () => (await listed(a.address)).join() === 'sql');
    const kinds = decisions.map((x) => `${x.kind} ${x.adapter}`);
    expect(kinds).to.include.members(['load sql', 'repair sql', 'unload rogue']);
    expect(decisions.find((x) => x.kind === 'repair')!.reason).to.match(/^adapter sql was loaded on this endpoint and is gone/);

    // The engine dies; its replacement (new process, new port, next incarnation) starts without adapters.
    await a.kill();
    const a2 = await sim();
    await ready('m-b-0', a2.address, 1);
    await waitFor('sql back on the new engine', async () => (await listed(a2.address)).includes('sql'));
    expect(decisions.filter((x) => x.address === a2.address).map((x) => x.kind)).to.deep.equal(['repair']);
  });

  it('a refused load (engine full) is retried with backoff, each attempt a decision and a failed result with its retry time', async () => {
    const a = await sim(['--max-loaded-loras', '1']);
    await applyModel({ loraAdapters: [{ name: 'a1', artifactURL: 'hf://o/a1' }, { name: 'a2', artifactURL: 'hf://o/a2' }] });
    await ready('m-b-0', a.address);
    await start();
    await waitFor('three attempts of a2', () => decisions.filter((x) => x.adapter === 'a2').length >= 3);
    expect(await listed(a.address)).to.deep.equal(['a1']);
    const failed = results.filter((r) => r.adapter === 'a2');
    expect(failed[0]).to.deep.include({ ok: false, status: 400, attempt: 1, error: 'HTTP 400: No free adapter slots.' });
    expect(failed[0].retryAtMs).to.be.greaterThan(failed[0].timeMs);
    expect(decisions.filter((x) => x.adapter === 'a2').map((x) => x.attempt).slice(0, 3)).to.deep.equal([1, 2, 3]);
  });

  it('health after ready: a frozen engine (SIGSTOP) is published unhealthy, and healthy again after SIGCONT', async () => {
    const a = await sim();
    await ready('m-b-0', a.address);
    await start();
    await waitFor('first probe', () => lastObs('m-b-0'));
    expect(lastObs('m-b-0')).to.deep.include({ healthy: true, adapters: [], reason: 'first probe after ready' });
    a.freeze();
    const down = await waitFor('unhealthy', () => (lastObs('m-b-0')?.healthy === false ? lastObs('m-b-0') : undefined));
    expect(down.reason).to.equal('unhealthy: 2 health probes in a row failed (last: timed out)');
    a.thaw();
    const up = await waitFor('healthy again', () => (lastObs('m-b-0')?.healthy === true ? lastObs('m-b-0') : undefined));
    expect(up.reason).to.equal('healthy again: 1 health probes in a row passed');
    // An endpoint of no LoRA-declaring Model is probed, never given adapters.
    expect(decisions).to.deep.equal([]);
  });
});
