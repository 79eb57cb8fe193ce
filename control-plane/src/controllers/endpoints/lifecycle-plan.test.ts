import { expect } from 'chai';
import { makeModel } from '../testdata.js';
import { lifecycleOfModel } from './lifecycle-desired.js';
import { emptyLifecycleMemory, noteLifecycleObserved, noteLifecycleResult, planLifecycle, type DesiredEngineModel, type LifecycleAction, type LifecycleEngine, type LifecycleMemory, type ObservedEngineModel } from './lifecycle-plan.js';

function memory(seen: string[] = [], owned: string[] = [], failures: [string, number, number][] = []): LifecycleMemory {
  return { seen: new Set(seen), owned: new Set(owned), failures: new Map(failures.map(([k, count, retryAtMs]) => [k, { count, retryAtMs, error: 'HTTP 500: boom' }])) };
}

function summary(actions: LifecycleAction[]): string[] {
  return actions.map((a) => `${a.kind} ${a.model}#${a.attempt}${a.minWorkers === undefined ? '' : ` ${a.minWorkers}/${a.maxWorkers}`}`);
}

const llama: DesiredEngineModel = { name: 'llama' };
const ranker: DesiredEngineModel = { name: 'ranker' };
const ts = (name: string, min: number, max = min): DesiredEngineModel => ({ name, url: `${name}.mar`, minWorkers: min, maxWorkers: max });
const seen = (name: string, min?: number, max?: number): ObservedEngineModel => (min === undefined ? { name } : { name, minWorkers: min, maxWorkers: max ?? min });

describe('endpoint controller: model lifecycle plan (Triton, TorchServe)', () => {
  const cases: { name: string; engine?: LifecycleEngine; desired: DesiredEngineModel[]; observed: ObservedEngineModel[]; mem?: LifecycleMemory; now?: number; want: string[]; backingOff?: string[] }[] = [
    { name: 'Triton in sync: nothing to do', desired: [llama], observed: [seen('llama')], want: [] },
    { name: 'Triton: desired and not READY: load, by name', desired: [ranker, llama], observed: [], want: ['load llama#1', 'load ranker#1'] },
    { name: 'Triton: READY before and unloaded out of band: repair', desired: [llama], observed: [], mem: memory(['llama'], ['llama']), want: ['repair llama#1'] },
    { name: 'Triton: ours and no longer desired: unload first', desired: [llama], observed: [seen('ranker')], mem: memory(['ranker', 'llama'], ['ranker', 'llama']), want: ['unload ranker#1', 'repair llama#1'] },
    { name: 'Triton: loaded by someone else and not desired: left alone', desired: [llama], observed: [seen('llama'), seen('other')], want: [] },
    { name: 'a failed load within its backoff waits', desired: [llama], observed: [], mem: memory([], [], [['load:llama', 2, 5000]]), now: 4000, want: [], backingOff: ['load:llama'] },
    { name: 'a failed load whose backoff passed: attempt 3', desired: [llama], observed: [], mem: memory([], [], [['load:llama', 2, 5000]]), now: 5000, want: ['load llama#3'] },
    { name: 'TorchServe: not registered: register with the desired workers', engine: 'TorchServe', desired: [ts('llama', 2, 4)], observed: [], want: ['load llama#1 2/4'] },
    { name: 'TorchServe: registered at the desired counts: nothing to do', engine: 'TorchServe', desired: [ts('llama', 1)], observed: [seen('llama', 1)], want: [] },
    { name: 'TorchServe: worker counts drifted: scale', engine: 'TorchServe', desired: [ts('llama', 3)], observed: [seen('llama', 1)], want: ['scale llama#1 3/3'] },
    { name: 'TorchServe: max differs only: scale', engine: 'TorchServe', desired: [ts('llama', 1, 2)], observed: [seen('llama', 1, 1)], want: ['scale llama#1 1/2'] },
    { name: 'TorchServe: a scale backing off waits', engine: 'TorchServe', desired: [ts('llama', 3)], observed: [seen('llama', 1)], mem: memory([], [], [['scale:llama', 1, 900]]), now: 100, want: [], backingOff: ['scale:llama'] },
    {
      name: 'TorchServe: ours removed from the spec: unregister; counts of the others kept', engine: 'TorchServe',
      desired: [ts('llama', 1)], observed: [seen('llama', 1), seen('ranker', 1)], mem: memory(['llama', 'ranker'], ['llama', 'ranker']), want: ['unload ranker#1'],
    },
  ];
  for (const tc of cases) {
    it(tc.name, () => {
      const plan = planLifecycle(tc.engine ?? 'Triton', tc.desired, tc.observed, tc.mem ?? emptyLifecycleMemory(), tc.now ?? 0);
      if (!plan.valid) throw new Error('expected a plan');
      expect(summary(plan.actions)).to.deep.equal(tc.want);
      expect(plan.backingOff.map((b) => b.key)).to.deep.equal(tc.backingOff ?? []);
    });
  }

  it('models unknown (the engine did not answer): no plan, not an empty one', () => {
    expect(planLifecycle('Triton', [llama], undefined, emptyLifecycleMemory(), 0)).to.deep.equal({ valid: false, reason: 'models-unknown' });
  });

  it('reasons say what and why, with the last error on a retry', () => {
    const reg = planLifecycle('TorchServe', [ts('llama', 2)], [], emptyLifecycleMemory(), 0);
    if (!reg.valid) throw new Error('expected a plan');
    expect(reg.actions[0]).to.deep.equal({ action: 'load', model: 'llama', url: 'llama.mar', minWorkers: 2, maxWorkers: 2, kind: 'load', attempt: 1, reason: 'model llama is desired and not registered: registering llama.mar with 2 workers' });
    const scale = planLifecycle('TorchServe', [ts('llama', 2)], [seen('llama', 1)], memory([], [], [['scale:llama', 1, 0]]), 10);
    if (!scale.valid) throw new Error('expected a plan');
    expect(scale.actions[0].reason).to.equal('model llama runs min/max workers 1/1, desired 2/2: scaling it; attempt 2, the last failed: HTTP 500: boom');
    const repair = planLifecycle('Triton', [llama], [], memory(['llama']), 0);
    if (!repair.valid) throw new Error('expected a plan');
    expect(repair.actions[0].reason).to.equal('model llama was READY on this endpoint and is not any more (unloaded out of band, or the server restarted): loading it again');
  });

  it('noteLifecycleObserved: desired models become owned; failures of scales no longer needed are forgotten', () => {
    const m = noteLifecycleObserved(memory([], [], [['scale:llama', 2, 9000], ['scale:ranker', 1, 9000], ['load:llama', 1, 9000]]), [seen('llama', 2), seen('ranker', 1)], [ts('llama', 2), ts('ranker', 3)]);
    expect([...m.owned].sort()).to.deep.equal(['llama', 'ranker']);
    expect([...m.seen].sort()).to.deep.equal(['llama', 'ranker']);
    expect([...m.failures.keys()]).to.deep.equal(['scale:ranker']);
  });

  it('noteLifecycleResult: a successful unload ends ownership (a later out-of-band load stays); a failure backs off', () => {
    const unload: LifecycleAction = { action: 'unload', model: 'ranker', kind: 'unload', attempt: 1, reason: '' };
    const failed = noteLifecycleResult(memory(['ranker'], ['ranker']), unload, false, 'HTTP 503', 1000);
    expect(failed.failures.get('unload:ranker')).to.deep.equal({ count: 1, retryAtMs: 1500, error: 'HTTP 503' });
    expect([...failed.owned]).to.deep.equal(['ranker']);
    const done = noteLifecycleResult(failed, unload, true, '', 2000);
    expect([...done.owned]).to.deep.equal([]);
    expect(done.failures.size).to.equal(0);
    const again = planLifecycle('Triton', [], [seen('ranker')], done, 3000);
    expect(again.valid && again.actions).to.deep.equal([]);
  });
});

describe('endpoint controller: desired model lifecycle', () => {
  it('Triton and TorchServe backends are managed (served model + modelLifecycle.models; TorchServe workers held only when named); others are not', () => {
    const model = makeModel('m', [
      { name: 'tri', type: 'Triton', modelURI: 'pvc://repo', modelLifecycle: { models: [{ name: 'ranker' }] } },
      { name: 'ts', type: 'TorchServe', modelURI: 'pvc://store/llama-v2.mar', workers: [{ type: 'server', config: { 'served-model-name': 'llama' } }], modelLifecycle: { models: [{ name: 'ranker', archive: 'https://x/r.mar' }], minWorkers: 2, maxWorkers: 3 } },
      { name: 'ts1', type: 'TorchServe', modelURI: 'pvc://store' },
      { name: 'ts2', type: 'TorchServe', modelURI: 'pvc://store', modelLifecycle: { maxWorkers: 4 } },
      { name: 'v' },
    ]);
    const d = lifecycleOfModel(model);
    expect([...d.keys()]).to.deep.equal(['default/m-tri', 'default/m-ts', 'default/m-ts1', 'default/m-ts2']);
    expect(d.get('default/m-tri')).to.deep.equal({ engine: 'Triton', source: 'Model default/m backend tri', models: [{ name: 'm' }, { name: 'ranker' }] });
    expect(d.get('default/m-ts')!.models).to.deep.equal([
      { name: 'llama', url: 'llama-v2.mar', minWorkers: 2, maxWorkers: 3 },
      { name: 'ranker', url: 'https://x/r.mar', minWorkers: 2, maxWorkers: 3 },
    ]);
    expect(d.get('default/m-ts1')!.models).to.deep.equal([{ name: 'm', url: 'm.mar' }]);
    expect(d.get('default/m-ts2')!.models).to.deep.equal([{ name: 'm', url: 'm.mar', minWorkers: 1, maxWorkers: 4 }]);
  });
});
