// Issue 21 model lifecycle on the local platform: Models with a Triton and a TorchServe backend
// applied with `mi` (simulator replicas started by the local actuator, Triton's in explicit
// model control mode as rendered) get their modelLifecycle applied live by the embedded
// endpoint controller: a repository model loaded and repaired after an out-of-band unload,
// TorchServe workers scaled to the spec and back after `mi apply` changes it; every call is an
// EngineModelDecision in MI_DECISIONS.
import { expect } from 'chai';
import { ENGINE_MODEL_DECISION, type EngineModelDecision } from '@matrixinfer/events';
import { ChildSet } from './support/children.js';
import { miOk } from './support/mi.js';
import { engineModelYaml, writeManifest } from './support/manifests.js';
import { entryEndpoints, readRoute, readStream } from './support/nats.js';
import { waitFor } from './support/poll.js';
import { startE2eSystem, type E2eSystem } from './support/system.js';

const model = (name: string, type: 'Triton' | 'TorchServe', uri: string, lifecycle: string[]): string => engineModelYaml({ name, type, uri, maxReplicas: 1, lifecycle });

async function send(method: string, url: string, body?: unknown): Promise<{ status: number; json: unknown }> {
  const r = await fetch(url, { method, ...(body === undefined ? {} : { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }) });
  const text = await r.text();
  return { status: r.status, json: text === '' ? undefined : JSON.parse(text) };
}

describe('Triton and TorchServe model lifecycle end to end (mi apply, local actuator, endpoint controller)', function () {
  this.timeout(90_000);
  const children = new ChildSet();
  let e: E2eSystem;

  before(async function () {
    this.timeout(60_000);
    e = await startE2eSystem(children, 'e2e-lifecycle');
  });
  after(async function () {
    this.timeout(30_000);
    await e?.close(children, []);
  });

  async function apply(name: string, yaml: string): Promise<void> {
    await miOk(e.server.url, ['apply', '-f', writeManifest(e.dataDir, `${name}.yaml`, yaml)]);
  }
  async function address(name: string): Promise<string> {
    const entry = await waitFor(`mi-routes ${name} to list a ready endpoint`, async () => {
      const r = await readRoute(e.kv, name);
      return entryEndpoints(r).length === 1 ? r : undefined;
    }, { timeoutMs: 60_000, describe: async () => JSON.stringify(e.sys?.actuator.instances()) });
    return entryEndpoints(entry)[0].address;
  }
  async function decisions(): Promise<EngineModelDecision[]> {
    const evs = await readStream<EngineModelDecision>(e.nc, 'decisions', 'mi.decisions.enginemodel.>');
    return evs.filter((ev) => ev.envelope.type === ENGINE_MODEL_DECISION).map((ev) => ev.envelope.data);
  }

  it('Triton: a modelLifecycle model is loaded into the running replica and repaired after an out-of-band unload', async () => {
    await apply('e2e-lt', model('e2e-lt', 'Triton', 'hf://e2e/triton-repo', ['models: [{ name: ranker }]']));
    const addr = await address('e2e-lt');
    const ready = async (): Promise<string> => ((await send('POST', `${addr}/v2/repository/index`, { ready: true })).json as { name: string }[]).map((m) => m.name).join();
    await waitFor('e2e-lt and ranker READY', async () => (await ready()) === 'e2e-lt,ranker', { timeoutMs: 20_000 });
    expect((await decisions()).map((d) => `${d.kind} ${d.model}`)).to.deep.equal(['load ranker']);
    expect((await send('POST', `${addr}/v2/repository/models/ranker/unload`, {})).status).to.equal(200);
    await waitFor('ranker repaired', async () => (await ready()) === 'e2e-lt,ranker' && (await decisions()).some((d) => d.kind === 'repair' && d.model === 'ranker'), { timeoutMs: 20_000 });
  });

  it('TorchServe: workers follow modelLifecycle.minWorkers through mi apply (1 -> 2 -> 1)', async () => {
    const uri = 's3://e2e-bucket/store/e2e-lts.mar';
    await apply('e2e-lts', model('e2e-lts', 'TorchServe', uri, ['minWorkers: 2']));
    const addr = await address('e2e-lts');
    const workers = async (): Promise<number> => ((await send('GET', `${addr}/models/e2e-lts`)).json as { workers: unknown[] }[])[0].workers.length;
    await waitFor('2 workers', async () => (await workers()) === 2, { timeoutMs: 20_000 });
    const scale = (await decisions()).find((d) => d.model === 'e2e-lts')!;
    expect(scale).to.deep.include({ engine: 'TorchServe', action: 'scale', minWorkers: 2, maxWorkers: 2 });
    // Counts are held only when named (without minWorkers TorchServe keeps its own): name 1.
    await apply('e2e-lts', model('e2e-lts', 'TorchServe', uri, ['minWorkers: 1']));
    await waitFor('back to 1 worker', async () => (await workers()) === 1, { timeoutMs: 20_000 });
    expect((await send('POST', `${addr}/predictions/e2e-lts`, { prompt: 'hi', max_new_tokens: 2 })).status).to.equal(200);
  });
});
