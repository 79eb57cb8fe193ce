// Integration test of the model lifecycle of the endpoint controller: a real nats-server and
// real simulator processes in Triton (explicit model control) and TorchServe mode. Models are
// loaded / registered on start, repaired after an out-of-band unload / unregister / scale,
// TorchServe workers follow the spec (1 -> 3 -> 1), and models removed from the spec go.
import { expect } from 'chai';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect, type NatsConnection, type Subscription } from '@nats-io/transport-node';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { startNatsServer, type TestNatsServer } from '@matrixinfer/events/testing';
import {
  desiredSubject,
  ENDPOINT_OBSERVATION,
  ENGINE_MODEL_DECISION,
  ENGINE_MODEL_RESULT,
  INSTANCE_OBSERVATION,
  observedSubject,
  RESOURCE_APPLIED,
  type EndpointObservation,
  type EngineModelDecision,
  type EngineModelResult,
  type InstanceObservation,
} from '@matrixinfer/events';
import { publishEnvelope } from '../../actuator/bus.js';
import { makeModel } from '../testdata.js';
import type { ModelBackend } from '../types.js';
import { startEndpointController, type EndpointController } from './runner.js';
import { silentLogger, startSimProcess, waitFor, type SimProcess, purgeEventStreams } from './testing.js';

const logger = silentLogger();

async function send(method: string, url: string, body?: unknown): Promise<{ status: number; json: unknown }> {
  const r = await fetch(url, { method, ...(body === undefined ? {} : { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }) });
  const text = await r.text();
  return { status: r.status, json: text === '' ? undefined : JSON.parse(text) };
}

async function readyModels(address: string): Promise<string> {
  return ((await send('POST', `${address}/v2/repository/index`, { ready: true })).json as { name: string }[]).map((e) => e.name).join();
}

async function registered(address: string): Promise<string> {
  return ((await send('GET', `${address}/models`)).json as { models: { modelName: string }[] }).models.map((m) => m.modelName).join();
}

async function workers(address: string, model: string): Promise<string> {
  const r = await send('GET', `${address}/models/${model}`);
  if (r.status !== 200) return `HTTP ${r.status}`;
  const d = (r.json as { minWorkers: number; maxWorkers: number; workers: unknown[] }[])[0];
  return `${d.minWorkers}/${d.maxWorkers}/${d.workers.length}`;
}

describe('endpoint controller: Triton and TorchServe model lifecycle (real nats-server, simulator processes)', function () {
  this.timeout(60_000);
  let server: TestNatsServer;
  let nc: NatsConnection;
  let sub: Subscription;
  let controller: EndpointController | undefined;
  let decisions: EngineModelDecision[] = [];
  let results: EngineModelResult[] = [];
  let observations: EndpointObservation[] = [];
  const sims: SimProcess[] = [];
  let dir: string;

  before(async () => {
    server = await startNatsServer();
    nc = await connect({ servers: server.url });
    const jsm = await jetstreamManager(nc);
    for (const [name, subject] of [['MI_DESIRED', 'mi.desired.>'], ['MI_OBSERVED', 'mi.observed.>'], ['MI_DECISIONS', 'mi.decisions.>']]) await jsm.streams.add({ name, subjects: [subject] });
    sub = nc.subscribe('mi.>', {
      callback: (_err, m) => {
        const env = m.json<{ type: string; data: unknown }>();
        if (env.type === ENDPOINT_OBSERVATION) observations.push(env.data as EndpointObservation);
        if (env.type === ENGINE_MODEL_DECISION) decisions.push(env.data as EngineModelDecision);
        if (env.type === ENGINE_MODEL_RESULT) results.push(env.data as EngineModelResult);
      },
    });
    dir = mkdtempSync(join(tmpdir(), 'mi-lifecycle-repo-'));
    for (const m of ['m', 'ranker', 'embedder']) mkdirSync(join(dir, m));
  });
  after(async () => {
    sub?.unsubscribe();
    await nc?.close();
    await server?.close();
    rmSync(dir, { recursive: true, force: true });
  });
  afterEach(async () => {
    await controller?.stop();
    controller = undefined;
    await Promise.all(sims.splice(0).map((s) => s.kill()));
    decisions = [];
    results = [];
    observations = [];
    await purgeEventStreams(nc);
  });

  const js = () => jetstream(nc);
  async function applyModel(backend: Partial<ModelBackend>): Promise<void> {
    const model = makeModel('m', [{ name: 'b', modelURI: 'pvc://models', ...backend }]);
    await publishEnvelope(js(), RESOURCE_APPLIED, 'test', desiredSubject('Model', 'default', 'm'), model, Date.now());
  }
  async function ready(instance: string, address: string): Promise<void> {
    const o: InstanceObservation = { instance, namespace: 'default', modelInfer: 'm-b', phase: 'ready', revision: 'r1', labels: {}, address, timeMs: Date.now() };
    await publishEnvelope(js(), INSTANCE_OBSERVATION, 'test', observedSubject('instance', 'default', 'm-b', instance), o, Date.now());
  }
  async function sim(args: string[], healthPath: string): Promise<SimProcess> {
    const s = await startSimProcess(['--profile', 'cpu-small', '--model', 'm', ...args], healthPath);
    sims.push(s);
    return s;
  }
  const start = async (): Promise<void> => {
    controller = await startEndpointController({
      nc, logger, tickMs: 20,
      defaultHealth: { intervalMs: 150, timeoutMs: 500, unhealthyThreshold: 2, healthyThreshold: 1 },
      retry: { baseMs: 100, maxMs: 400 },
    });
  };
  const kinds = (instance: string): string[] => decisions.filter((d) => d.instance === instance).map((d) => `${d.kind} ${d.model}`);

  it('Triton: loads the served model and the spec\'s repository models on start, repairs an out-of-band unload, unloads a model removed from the spec, leaves others alone', async () => {
    // Explicit model control with no --load-model: nothing is loaded until the controller loads it.
    const t = await sim(['--engine', 'triton', '--model-control-mode=explicit', `--model-repository=${dir}`], '/v2/health/ready');
    expect(await readyModels(t.address)).to.equal('');
    await applyModel({ type: 'Triton', modelLifecycle: { models: [{ name: 'ranker' }] } });
    await ready('m-b-0', t.address);
    await start();
    await waitFor('m and ranker READY', async () => (await readyModels(t.address)) === 'm,ranker');
    expect(kinds('m-b-0')).to.deep.equal(['load m', 'load ranker']);
    const d = decisions[0];
    expect(d).to.deep.include({ engine: 'Triton', action: 'load', model: 'm', attempt: 1, address: t.address, modelInfer: 'm-b' });
    expect(d.reason).to.equal('model m is desired and not READY in the Triton repository index: loading it (Model default/m backend b)');
    await waitFor('two results', () => results.length === 2);
    expect(results.map((r) => `${r.action} ${r.model} ${r.ok} ${r.status}`)).to.deep.equal(['load m true 200', 'load ranker true 200']);
    expect((await send('POST', `${t.address}/v2/models/m/generate`, { text_input: 'hi', max_tokens: 2 })).status).to.equal(200);

    // Someone unloads the served model and loads another one by hand.
    expect((await send('POST', `${t.address}/v2/repository/models/m/unload`, {})).status).to.equal(200);
    expect((await send('POST', `${t.address}/v2/repository/models/embedder/load`, {})).status).to.equal(200);
    await waitFor('m repaired', () => kinds('m-b-0').includes('repair m'));
    await waitFor('m READY again', async () => (await readyModels(t.address)) === 'embedder,m,ranker');
    expect(decisions.find((x) => x.kind === 'repair')!.reason).to.match(/^model m was READY on this endpoint and is not any more/);

    // ranker leaves the spec: unloaded; embedder (not ours) stays.
    await applyModel({ type: 'Triton' });
    await waitFor('ranker unloaded', async () => (await readyModels(t.address)) === 'embedder,m');
    expect(kinds('m-b-0')).to.deep.equal(['load m', 'load ranker', 'repair m', 'unload ranker']);
    await waitFor('view lists the READY models', () => controller!.view().endpoints[0]?.models?.map((m) => m.name).join() === 'embedder,m');
    expect(controller!.view().endpoints[0]).to.deep.include({ instance: 'm-b-0', healthy: true });
    await waitFor('an observation lists the models', () => observations.at(-1)?.engineModels?.join() === 'embedder,m');
    expect(observations.map((o) => o.engineModels?.join() ?? '-')).to.include.members(['', 'm,ranker']);
  });

  it('Triton: a load the engine refuses (default model control mode) is retried with backoff and reported', async () => {
    const t = await sim(['--engine', 'triton'], '/v2/health/ready');
    await applyModel({ type: 'Triton', modelLifecycle: { models: [{ name: 'ranker' }] } });
    await ready('m-b-0', t.address);
    await start();
    await waitFor('two failed attempts', () => results.filter((r) => r.model === 'ranker' && !r.ok).length >= 2);
    const failed = results.find((r) => r.model === 'ranker' && !r.ok)!;
    expect(failed).to.deep.include({ action: 'load', status: 503, error: 'HTTP 503: explicit model load / unload is not allowed if polling is enabled' });
    expect(failed.retryAtMs).to.be.a('number');
    expect(decisions.filter((x) => x.model === 'ranker').map((x) => x.attempt).slice(0, 2)).to.deep.equal([1, 2]);
    expect(decisions.some((x) => x.model === 'm')).to.equal(false); // READY from the start: nothing to do
  });

  it('TorchServe: workers scaled 1 -> 3 -> 1 with the spec, an out-of-band scale and unregister repaired, an extra model registered and unregistered', async () => {
    const t = await sim(['--engine', 'torchserve'], '/ping');
    await applyModel({ type: 'TorchServe' });
    await ready('m-b-0', t.address);
    await start();
    // Registered at start with one worker, as desired: nothing to do.
    await waitFor('view lists m', () => controller!.view().endpoints[0]?.models?.[0]?.name === 'm');
    expect(controller!.view().endpoints[0].models).to.deep.equal([{ name: 'm', minWorkers: 1, maxWorkers: 1 }]);
    expect(decisions).to.deep.equal([]);

    await applyModel({ type: 'TorchServe', modelLifecycle: { minWorkers: 3 } });
    await waitFor('3 workers', async () => (await workers(t.address, 'm')) === '3/3/3');
    const scale = decisions.find((x) => x.kind === 'scale')!;
    expect(scale).to.deep.include({ engine: 'TorchServe', action: 'scale', model: 'm', minWorkers: 3, maxWorkers: 3, address: t.address });
    expect(scale.reason).to.equal('model m runs min/max workers 1/1, desired 3/3: scaling it (Model default/m backend b)');

    // Someone scales it down by hand: scaled back.
    expect((await send('PUT', `${t.address}/models/m?min_worker=1&synchronous=true`)).status).to.equal(200);
    await waitFor('scaled back to 3', async () => decisions.filter((x) => x.kind === 'scale').length === 2 && (await workers(t.address, 'm')) === '3/3/3');

    // An extra model in the spec is registered with the same workers; then removed again.
    await applyModel({ type: 'TorchServe', modelLifecycle: { minWorkers: 3, models: [{ name: 'ranker', archive: 'ranker-v2.mar' }] } });
    await waitFor('ranker registered', async () => (await registered(t.address)) === 'm,ranker');
    expect(await workers(t.address, 'ranker')).to.equal('3/3/3');
    expect(decisions.find((x) => x.model === 'ranker')).to.deep.include({ action: 'load', kind: 'load', url: 'ranker-v2.mar', minWorkers: 3 });
    await applyModel({ type: 'TorchServe', modelLifecycle: { minWorkers: 1 } });
    await waitFor('ranker unregistered, m back to 1 worker', async () => (await registered(t.address)) === 'm' && (await workers(t.address, 'm')) === '1/1/1');

    // Someone unregisters the served model: registered again (a repair) with the desired workers.
    expect((await send('DELETE', `${t.address}/models/m`)).status).to.equal(200);
    await waitFor('m registered again', async () => (await workers(t.address, 'm')) === '1/1/1' && kinds('m-b-0').includes('repair m'));
    expect(kinds('m-b-0')).to.deep.equal(['scale m', 'scale m', 'load ranker', 'unload ranker', 'scale m', 'repair m']);
    expect((await send('POST', `${t.address}/predictions/m`, { prompt: 'hi', max_new_tokens: 2 })).status).to.equal(200);
    expect(results.every((r) => r.ok)).to.equal(true);
  });
});
