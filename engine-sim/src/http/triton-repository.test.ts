// Triton's model repository extension on the wire: POST /v2/repository/index ({"ready"}),
// .../models/<m>/load and /unload in explicit model control mode (--load-model at start),
// generate refused for a model that is not loaded, and load/unload refused in the default mode.
import { expect } from 'chai';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startSimulator, type RunningSimulator } from '../simulator.js';
import { postJson } from './test-helpers.js';

describe('sim Triton model repository (explicit model control)', () => {
  let sim: RunningSimulator;
  let dir: string;
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'mi-triton-repo-'));
    for (const m of ['llama', 'embedder', 'ranker']) mkdirSync(join(dir, m));
    mkdirSync(join(dir, '.hidden'));
    sim = await startSimulator({ engine: 'triton', profile: 'cpu-small', model: 'llama', timeScale: 20, modelControlMode: 'explicit', loadModels: ['llama'], modelRepository: dir, repositoryModels: ['classifier'] });
  });
  after(async () => {
    await sim.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const generate = (model: string) => postJson(`${sim.url}/v2/models/${model}/generate`, { text_input: 'Hi', parameters: { max_tokens: 2 } });

  it('index: every repository model (directories, --repository-models), only --load-model ones READY; {"ready": true} keeps those', async () => {
    const all = await postJson(`${sim.url}/v2/repository/index`, {});
    expect(all.status).to.equal(200);
    expect(all.json()).to.deep.equal([{ name: 'classifier' }, { name: 'embedder' }, { name: 'llama', version: '1', state: 'READY' }, { name: 'ranker' }]);
    expect((await postJson(`${sim.url}/v2/repository/index`, { ready: true })).json()).to.deep.equal([{ name: 'llama', version: '1', state: 'READY' }]);
    const empty = await fetch(`${sim.url}/v2/repository/index`, { method: 'POST' });
    expect(((await empty.json()) as unknown[]).length).to.equal(4);
    const bad = await postJson(`${sim.url}/v2/repository/index`, { ready: 'yes' });
    expect(bad.status).to.equal(400);
    expect(bad.json()).to.have.property('error');
  });

  it('load and unload change what answers generate; unloaded models show UNAVAILABLE', async () => {
    expect((await generate('embedder')).json()).to.deep.equal({ error: "Request for unknown model: 'embedder' is not found" });
    const load = await postJson(`${sim.url}/v2/repository/models/embedder/load`, {});
    expect(load.status).to.equal(200);
    expect(load.text).to.equal('');
    expect((await generate('embedder')).status).to.equal(200);
    expect((await fetch(`${sim.url}/v2/models/embedder/ready`)).status).to.equal(200);
    expect((await postJson(`${sim.url}/v2/repository/models/embedder/unload`, {})).status).to.equal(200);
    const refused = await generate('embedder');
    expect(refused.status).to.equal(404);
    expect(refused.json()).to.deep.equal({ error: "Request for unknown model: 'embedder' has no available versions" });
    expect((await fetch(`${sim.url}/v2/models/embedder/ready`)).status).to.equal(400);
    const index = (await postJson(`${sim.url}/v2/repository/index`, {})).json() as Array<Record<string, unknown>>;
    expect(index.find((e) => e.name === 'embedder')).to.deep.equal({ name: 'embedder', version: '1', state: 'UNAVAILABLE', reason: 'unloaded' });
    // Unloading what is not loaded is not an error; the server stays ready without its models.
    expect((await postJson(`${sim.url}/v2/repository/models/ranker/unload`, {})).status).to.equal(200);
    expect((await postJson(`${sim.url}/v2/repository/models/llama/unload`, {})).status).to.equal(200);
    expect((await fetch(`${sim.url}/v2/health/ready`)).status).to.equal(200);
    expect((await generate('llama')).status).to.equal(404);
    expect((await postJson(`${sim.url}/v2/repository/models/llama/load`, {})).status).to.equal(200);
    expect((await generate('llama')).status).to.equal(200);
  });

  it('a model not in the repository fails to load with a 500', async () => {
    const r = await postJson(`${sim.url}/v2/repository/models/nope/load`, {});
    expect(r.status).to.equal(500);
    expect(r.json()).to.deep.equal({ error: "failed to load 'nope', failed to poll from model repository" });
  });
});

describe('sim Triton model repository (--repository-models=*: a stand-in without a repository)', () => {
  let sim: RunningSimulator;
  before(async () => {
    sim = await startSimulator({ engine: 'triton', profile: 'cpu-small', model: 'llama', timeScale: 20, modelControlMode: 'explicit', loadModels: ['llama'], repositoryModels: ['*'] });
  });
  after(async () => {
    await sim.close();
  });

  it('any model name loads; the index lists the models loaded so far', async () => {
    expect((await postJson(`${sim.url}/v2/repository/index`, {})).json()).to.deep.equal([{ name: 'llama', version: '1', state: 'READY' }]);
    expect((await postJson(`${sim.url}/v2/repository/models/anything/load`, {})).status).to.equal(200);
    expect((await postJson(`${sim.url}/v2/repository/index`, { ready: true })).json()).to.deep.equal([{ name: 'anything', version: '1', state: 'READY' }, { name: 'llama', version: '1', state: 'READY' }]);
  });
});

describe('sim Triton model repository (default model control mode none)', () => {
  let sim: RunningSimulator;
  before(async () => {
    sim = await startSimulator({ engine: 'triton', profile: 'cpu-small', model: 'llama', timeScale: 20 });
  });
  after(async () => {
    await sim.close();
  });

  it('every model is loaded at start and load/unload are refused with a 503', async () => {
    for (const action of ['load', 'unload']) {
      const r = await postJson(`${sim.url}/v2/repository/models/llama/${action}`, {});
      expect(r.status, action).to.equal(503);
      expect(r.json()).to.deep.equal({ error: 'explicit model load / unload is not allowed if polling is enabled' });
    }
    expect((await postJson(`${sim.url}/v2/repository/index`, { ready: true })).json()).to.deep.equal([{ name: 'llama', version: '1', state: 'READY' }]);
  });

  it('--load-model without explicit mode is a configuration error', async () => {
    let err: unknown;
    try {
      await startSimulator({ engine: 'triton', profile: 'cpu-small', port: 0, loadModels: ['x'] });
    } catch (e) {
      err = e;
    }
    expect(String(err)).to.match(/--load-model needs --model-control-mode=explicit/);
  });
});
