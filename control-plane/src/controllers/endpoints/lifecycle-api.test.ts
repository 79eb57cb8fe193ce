// The lifecycle HTTP edge against in-process simulators: Triton's READY models and load/unload,
// TorchServe's registrations across list pages with worker counts for the described names, and
// the "already so" answers (409 on a register, 404 on an unregister) counted as done.
import { expect } from 'chai';
import { startSimulator, type RunningSimulator } from '@matrixinfer/engine-sim';
import { createHttpLifecycleApi, managementCandidates } from './lifecycle-api.js';
import type { LifecycleAction } from './lifecycle-plan.js';

const act = (action: LifecycleAction['action'], model: string, extra: Partial<LifecycleAction> = {}): LifecycleAction => ({ action, model, kind: action === 'scale' ? 'scale' : action, attempt: 1, reason: '', ...extra });

describe('endpoints/lifecycle-api', () => {
  const sims: RunningSimulator[] = [];
  afterEach(async () => {
    await Promise.all(sims.splice(0).map((s) => s.close()));
  });

  it('management candidates: the endpoint itself, then port 8081 of its host', () => {
    expect(managementCandidates('http://10.0.0.7:8000')).to.deep.equal(['http://10.0.0.7:8000', 'http://10.0.0.7:8081']);
    expect(managementCandidates('http://10.0.0.7:8081')).to.deep.equal(['http://10.0.0.7:8081']);
  });

  it('Triton: READY models only; load and unload; a refused load carries the engine message', async () => {
    const sim = await startSimulator({ engine: 'triton', profile: 'cpu-small', port: 0, model: 'llama', modelControlMode: 'explicit', repositoryModels: ['ranker'] });
    sims.push(sim);
    const api = createHttpLifecycleApi();
    expect(await api.models('Triton', sim.url, new Set(), 2000)).to.deep.equal([]);
    expect(await api.call('Triton', sim.url, act('load', 'ranker'), 2000)).to.deep.equal({ ok: true, status: 200 });
    expect(await api.models('Triton', sim.url, new Set(), 2000)).to.deep.equal([{ name: 'ranker' }]);
    expect(await api.call('Triton', sim.url, act('unload', 'ranker'), 2000)).to.deep.equal({ ok: true, status: 200 });
    expect(await api.call('Triton', sim.url, act('load', 'nope'), 2000)).to.deep.equal({ ok: false, status: 500, error: "HTTP 500: failed to load 'nope', failed to poll from model repository" });
    expect(api.target('Triton', sim.url)).to.equal(sim.url);
  });

  it('TorchServe: every list page, worker counts of described names; register/scale/unregister idempotent', async () => {
    const sim = await startSimulator({ engine: 'torchserve', profile: 'cpu-small', port: 0, model: 'llama' });
    sims.push(sim);
    const api = createHttpLifecycleApi();
    for (let i = 0; i < 120; i++) expect((await api.call('TorchServe', sim.url, act('load', `m${String(i).padStart(3, '0')}`, { minWorkers: 0 }), 2000)).ok).to.equal(true);
    expect(await api.call('TorchServe', sim.url, act('load', 'coder', { url: 'coder.mar', minWorkers: 2, maxWorkers: 2 }), 2000)).to.deep.equal({ ok: true, status: 200 });
    expect(await api.call('TorchServe', sim.url, act('load', 'coder', { minWorkers: 2 }), 2000)).to.deep.equal({ ok: true, status: 409 });
    const models = await api.models('TorchServe', sim.url, new Set(['coder', 'llama']), 2000);
    expect(models).to.have.length(122);
    expect(models!.filter((m) => m.minWorkers !== undefined)).to.deep.equal([{ name: 'coder', minWorkers: 2, maxWorkers: 2 }, { name: 'llama', minWorkers: 1, maxWorkers: 1 }]);
    expect(await api.call('TorchServe', sim.url, act('scale', 'coder', { minWorkers: 1, maxWorkers: 3 }), 2000)).to.deep.equal({ ok: true, status: 200 });
    expect((await api.models('TorchServe', sim.url, new Set(['coder']), 2000))!.find((m) => m.name === 'coder')).to.deep.equal({ name: 'coder', minWorkers: 1, maxWorkers: 3 });
    expect(await api.call('TorchServe', sim.url, act('unload', 'coder'), 2000)).to.deep.equal({ ok: true, status: 200 });
    expect(await api.call('TorchServe', sim.url, act('unload', 'coder'), 2000)).to.deep.equal({ ok: true, status: 404 });
    expect(await api.call('TorchServe', sim.url, act('scale', 'coder', { minWorkers: 1 }), 2000)).to.deep.equal({ ok: false, status: 404, error: 'HTTP 404: Model not found: coder' });
    expect(api.target('TorchServe', sim.url)).to.equal(sim.url);
  });
});
