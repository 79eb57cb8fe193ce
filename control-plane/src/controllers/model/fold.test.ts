import { expect } from 'chai';
import { makeModel } from '../testdata.js';
import type { AnyResource, ModelInfer } from '../types.js';
import { foldModel, inFlightWrites, initialModelState, loadModelEvent, reconcileAllModels, type ModelControllerEvent, type ModelDecision } from './fold.js';
import { modelStatus } from './status.js';

function res(r: AnyResource, revision: number): ModelControllerEvent {
  return { type: 'resource', kind: r.kind, namespace: r.metadata.namespace ?? 'default', name: r.metadata.name, revision, resource: r };
}

function tomb(kind: string, name: string, revision: number): ModelControllerEvent {
  return { type: 'resource', kind, namespace: 'default', name, revision, resource: null };
}

/** Feeds the applied children back as the resource store would (each write a new revision). */
function applyWrites(state: ReturnType<typeof initialModelState>, d: ModelDecision, rev: { n: number }): ModelDecision[] {
  const out: ModelDecision[] = [];
  for (const w of d.writes) {
    const ev = w.op === 'apply' ? res(w.resource, ++rev.n) : tomb(w.kind, w.name, ++rev.n);
    out.push(...foldModel(state, ev).decisions);
  }
  return out;
}

describe('model controller fold', () => {
  it('creates the children once, then stays quiet while they match', () => {
    const s = initialModelState();
    const rev = { n: 1 };
    const { decisions } = foldModel(s, res(makeModel('m'), 1));
    expect(decisions).to.have.length(1);
    expect(decisions[0].writes.map((w) => `${w.op} ${w.kind}/${w.name}`)).to.deep.equal(['apply ModelInfer/m-b0', 'apply ModelServer/m-b0', 'apply ModelRoute/m']);
    expect(decisions[0].reason).to.match(/create ModelInfer\/m-b0/);
    expect(applyWrites(s, decisions[0], rev)).to.deep.equal([]);
    expect(reconcileAllModels(s)).to.deep.equal([]);
  });

  it('does not repeat a decision it already published (replayed from the stream)', () => {
    const first = foldModel(initialModelState(), res(makeModel('m'), 1)).decisions[0];
    const s = initialModelState();
    loadModelEvent(s, res(makeModel('m'), 1));
    loadModelEvent(s, { type: 'decision', decision: first });
    expect(reconcileAllModels(s)).to.deep.equal([]);
  });

  it('a decision published but never applied (crash) stays in flight: not decided again, listed for re-apply', () => {
    const first = foldModel(initialModelState(), res(makeModel('m'), 1)).decisions[0];
    // A restarted runner loads the Model and its last decision, but no child was written.
    const s = initialModelState();
    loadModelEvent(s, res(makeModel('m'), 1));
    loadModelEvent(s, { type: 'decision', decision: first });
    expect(reconcileAllModels(s)).to.deep.equal([]);
    expect(inFlightWrites(s, 'default', 'm').map((w) => `${w.op} ${w.kind}/${w.name}@${w.baseRevision}`)).to.deep.equal([
      'apply ModelInfer/m-b0@0',
      'apply ModelServer/m-b0@0',
      'apply ModelRoute/m@0',
    ]);
    // Once applied, nothing is in flight and nothing more is decided.
    const rev = { n: 1 };
    expect(applyWrites(s, first, rev)).to.deep.equal([]);
    expect(inFlightWrites(s, 'default', 'm')).to.deep.equal([]);
  });

  it('a spec change updates only the children that differ; a removed backend is deleted', () => {
    const s = initialModelState();
    const rev = { n: 1 };
    applyWrites(s, foldModel(s, res(makeModel('m', [{ name: 'a' }, { name: 'b' }]), 1)).decisions[0], rev);
    const d = foldModel(s, res(makeModel('m', [{ name: 'a', workers: [{ type: 'server', config: { x: 1 } }] }]), ++rev.n)).decisions;
    expect(d).to.have.length(1);
    expect(d[0].writes.map((w) => `${w.op} ${w.kind}/${w.name}`)).to.deep.equal([
      'apply ModelInfer/m-a',
      'apply ModelRoute/m',
      'delete ModelInfer/m-b',
      'delete ModelServer/m-b',
    ]);
    expect(d[0].reason).to.match(/update ModelInfer\/m-a.*delete ModelServer\/m-b/);
  });

  it('deleting the Model deletes every child (cascade)', () => {
    const s = initialModelState();
    const rev = { n: 1 };
    applyWrites(s, foldModel(s, res(makeModel('m', [{ autoscalingPolicyRef: 'p' }]), 1)).decisions[0], rev);
    const d = foldModel(s, tomb('Model', 'm', ++rev.n)).decisions;
    expect(d).to.have.length(1);
    expect(d[0].writes.every((w) => w.op === 'delete')).to.equal(true);
    expect(d[0].writes.map((w) => w.kind).sort()).to.deep.equal(['AutoscalingPolicyBinding', 'ModelInfer', 'ModelRoute', 'ModelServer']);
    expect(d[0].reason).to.match(/was deleted/);
    expect(applyWrites(s, d[0], rev)).to.deep.equal([]);
  });

  it('recreates a child deleted behind its back', () => {
    const s = initialModelState();
    const rev = { n: 1 };
    applyWrites(s, foldModel(s, res(makeModel('m'), 1)).decisions[0], rev);
    const d = foldModel(s, tomb('ModelServer', 'm-b0', ++rev.n)).decisions;
    // The tombstone carries no owner; the model is found through the child it replaces.
    expect(d.map((x) => x.writes.map((w) => `${w.op} ${w.kind}/${w.name}`))).to.deep.equal([['apply ModelServer/m-b0']]);
  });

  it('ignores defaults the store added to a child', () => {
    const s = initialModelState();
    const rev = { n: 1 };
    const d = foldModel(s, res(makeModel('m'), 1)).decisions[0];
    for (const w of d.writes) {
      if (w.op !== 'apply') continue;
      const r = structuredClone(w.resource) as ModelInfer;
      if (r.kind === 'ModelInfer') r.spec.schedulerName = 'default-scheduler';
      expect(foldModel(s, res(r, ++rev.n)).decisions).to.deep.equal([]);
    }
  });

  it('an invalid Model gets no children and a Failed status', () => {
    const s = initialModelState();
    const bad = makeModel('bad', [{ workers: [{ type: 'prefill' }] }]);
    expect(foldModel(s, res(bad, 1)).decisions).to.deep.equal([]);
    const st = modelStatus(bad, () => undefined, s.invalid.get('default/bad'));
    expect(st.conditions.find((c) => c.type === 'Failed')?.status).to.equal('True');
  });
});

describe('model status', () => {
  const model = makeModel('m', [{ name: 'a' }, { name: 'b' }]);
  const st = (available: number, failed = false) => ({
    observedGeneration: 1,
    replicas: 1,
    currentReplicas: 1,
    updatedReplicas: 1,
    availableReplicas: available,
    currentRevision: 'r',
    updateRevision: 'r',
    revisions: ['r'],
    labelSelector: '',
    conditions: failed ? [{ type: 'Failed', status: 'True' as const, message: 'boom' }] : [],
  });
  const cases = [
    { name: 'no children yet', of: () => undefined, want: { Initialized: 'False', Active: 'False', Failed: 'False' } },
    { name: 'one backend not available', of: (n: string) => st(n === 'm-a' ? 1 : 0), want: { Initialized: 'True', Active: 'False', Failed: 'False' } },
    { name: 'all available', of: () => st(1), want: { Initialized: 'True', Active: 'True', Failed: 'False' } },
    { name: 'a child failed', of: (n: string) => st(1, n === 'm-b'), want: { Initialized: 'True', Active: 'True', Failed: 'True' } },
    {
      name: 'a child runs the simulator in place of its engine',
      of: (n: string) => ({ ...st(1), conditions: n === 'm-a' ? [{ type: 'Simulated', status: 'True' as const, message: '1/1 instances run the built-in simulator in place of vllm' }] : [] }),
      want: { Initialized: 'True', Active: 'True', Failed: 'False', Simulated: 'True' },
    },
  ];
  for (const tc of cases) {
    it(tc.name, () => {
      const s = modelStatus(model, tc.of);
      expect(Object.fromEntries(s.conditions.map((c) => [c.type, c.status]))).to.deep.equal(tc.want);
      expect(s.backendStatuses.map((b) => b.name)).to.deep.equal(['a', 'b']);
    });
  }
});
