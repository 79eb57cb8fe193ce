import { expect } from 'chai';
import { makeModel } from '../testdata.js';
import { desiredOfModel } from './desired.js';
import { backoffMs, emptyLoraMemory, noteObserved, noteResult, opKey, planLora, type DesiredAdapter, type LoraAction, type LoraMemory } from './lora-plan.js';

const sql: DesiredAdapter = { name: 'sql', path: 'org/sql' };
const chat: DesiredAdapter = { name: 'chat', path: '/a/chat' };

function memory(seen: string[] = [], failures: [string, number, number][] = []): LoraMemory {
  return { seen: new Set(seen), failures: new Map(failures.map(([k, count, retryAtMs]) => [k, { count, retryAtMs, error: 'HTTP 400: No free adapter slots.' }])) };
}

function summary(actions: LoraAction[]): string[] {
  return actions.map((a) => `${a.kind} ${a.adapter}#${a.attempt}`);
}

describe('endpoint controller: LoRA plan', () => {
  const cases: { name: string; desired: DesiredAdapter[]; observed: string[]; mem?: LoraMemory; now?: number; want: string[]; backingOff?: string[] }[] = [
    { name: 'nothing desired, nothing loaded: nothing to do', desired: [], observed: [], want: [] },
    { name: 'in sync: nothing to do', desired: [sql], observed: ['sql'], want: [] },
    { name: 'desired and never seen: load, by name', desired: [sql, chat], observed: [], want: ['load chat#1', 'load sql#1'] },
    { name: 'seen before and gone (engine restarted): repair', desired: [sql], observed: [], mem: memory(['sql']), want: ['repair sql#1'] },
    { name: 'loaded, not desired: unload, before any load', desired: [sql], observed: ['old'], want: ['unload old#1', 'load sql#1'] },
    { name: 'failed load within its backoff: waits', desired: [sql], observed: [], mem: memory([], [['load:sql', 2, 5000]]), now: 4000, want: [], backingOff: ['load:sql'] },
    { name: 'failed load whose backoff passed: attempt 3', desired: [sql], observed: [], mem: memory([], [['load:sql', 2, 5000]]), now: 5000, want: ['load sql#3'] },
  ];
  for (const tc of cases) {
    it(tc.name, () => {
      const plan = planLora(tc.desired, tc.observed, tc.mem ?? emptyLoraMemory(), tc.now ?? 0);
      if (!plan.valid) throw new Error('expected a plan');
      expect(summary(plan.actions)).to.deep.equal(tc.want);
      expect(plan.backingOff.map((b) => b.key)).to.deep.equal(tc.backingOff ?? []);
    });
  }

  it('adapters unknown (the engine did not answer /v1/models): no plan, not an empty one', () => {
    expect(planLora([sql], undefined, emptyLoraMemory(), 0)).to.deep.equal({ valid: false, reason: 'adapters-unknown' });
  });

  it('reasons say what and why, with the last error on a retry', () => {
    const first = planLora([sql], [], emptyLoraMemory(), 0);
    if (!first.valid) throw new Error('expected a plan');
    expect(first.actions[0]).to.deep.equal({ action: 'load', adapter: 'sql', path: 'org/sql', kind: 'load', attempt: 1, reason: 'adapter sql is desired and not loaded: loading it from org/sql' });
    const retry = planLora([sql], [], memory(['sql'], [['load:sql', 1, 0]]), 10);
    if (!retry.valid) throw new Error('expected a plan');
    expect(retry.actions[0].reason).to.equal('adapter sql was loaded on this endpoint and is gone (engine restarted or evicted it): loading it again from org/sql; attempt 2, the last failed: HTTP 400: No free adapter slots.');
  });

  it('noteResult: failures back off exponentially up to the cap; success clears them and marks the adapter seen', () => {
    const load: LoraAction = { action: 'load', adapter: 'sql', path: 'p', kind: 'load', attempt: 1, reason: '' };
    let m = noteResult(emptyLoraMemory(), load, false, 'boom', 1000);
    expect(m.failures.get(opKey('load', 'sql'))).to.deep.equal({ count: 1, retryAtMs: 1500, error: 'boom' });
    m = noteResult(m, load, false, 'boom', 2000);
    expect(m.failures.get(opKey('load', 'sql'))!.retryAtMs).to.equal(3000);
    expect([1, 2, 3, 7, 20].map((n) => backoffMs(n))).to.deep.equal([500, 1000, 2000, 30_000, 30_000]);
    m = noteResult(m, load, true, '', 3000);
    expect(m.failures.size).to.equal(0);
    expect([...m.seen]).to.deep.equal(['sql']);
    const unload: LoraAction = { action: 'unload', adapter: 'sql', kind: 'unload', attempt: 1, reason: '' };
    expect([...noteResult(m, unload, true, '', 4000).seen]).to.deep.equal([]);
  });

  it('noteObserved: remembers listed adapters, forgets failures of operations no longer needed', () => {
    const m = noteObserved(memory([], [['load:sql', 3, 9000], ['load:chat', 1, 9000], ['unload:old', 1, 9000]]), ['sql']);
    expect([...m.seen]).to.deep.equal(['sql']);
    expect([...m.failures.keys()]).to.deep.equal(['load:chat']);
  });
});

describe('endpoint controller: desired adapters', () => {
  it('per ModelInfer of a backend that declares loraAdapters: hub id, file path, s3 download dir; engine; undeclared backends unmanaged', () => {
    const model = makeModel('m', [
      { name: 'a', loraAdapters: [{ name: 'sql', artifactURL: 'hf://org/sql' }, { name: 'chat', artifactURL: 'file:///a/chat' }, { name: 'bi', artifactURL: 's3://bkt/bi' }] },
      { name: 'b', type: 'SGLang', loraAdapters: [] },
      { name: 'c' },
    ]);
    const d = desiredOfModel(model);
    expect([...d.keys()]).to.deep.equal(['default/m-a', 'default/m-b']);
    expect(d.get('default/m-a')).to.deep.equal({
      engine: 'vLLM',
      source: 'Model default/m backend a',
      adapters: [{ name: 'bi', path: '/models/lora/bkt/bi' }, { name: 'chat', path: '/a/chat' }, { name: 'sql', path: 'org/sql' }],
    });
    expect(d.get('default/m-b')).to.deep.equal({ engine: 'SGLang', source: 'Model default/m backend b', adapters: [] });
  });
});
