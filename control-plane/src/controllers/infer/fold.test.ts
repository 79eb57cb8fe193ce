import { expect } from 'chai';
import { makeInfer } from '../testdata.js';
import { observe } from '../testdata.js';
import { foldInfer, initialInferState, loadInferEvent, decideInfer, inferKeys, nextWakeMs, type InferDecision } from './fold.js';

describe('infer controller fold', () => {
  it('publishes once; a replay of the same events plus the decision decides nothing', () => {
    const s = initialInferState();
    const ev = { type: 'resource' as const, namespace: 'default', name: 'm', revision: 3, resource: makeInfer('m', 2) };
    const [d] = foldInfer(s, ev, 0).decisions;
    expect(d.decision.instances).to.have.length(2);
    expect(d.decision.generation).to.equal(1);
    expect(foldInfer(s, { type: 'decision', id: d.id, decision: d.decision }, 0).decisions).to.deep.equal([]);
    const replay = initialInferState();
    loadInferEvent(replay, ev);
    loadInferEvent(replay, { type: 'decision', id: d.id, decision: d.decision });
    expect(inferKeys(replay).flatMap((k) => decideInfer(replay, k, 0))).to.deep.equal([]);
  });

  it('two replicas with the same inputs compute the same decision id', () => {
    const ev = { type: 'resource' as const, namespace: 'default', name: 'm', revision: 3, resource: makeInfer('m', 1) };
    const a = foldInfer(initialInferState(), ev, 0).decisions[0];
    const b = foldInfer(initialInferState(), ev, 999).decisions[0];
    expect(a.id).to.equal(b.id);
  });

  it('a set that returns to an earlier content gets a new id (A → B → A)', () => {
    const s = initialInferState();
    const ids: string[] = [];
    const sets: number[] = [];
    for (const [rev, replicas] of [[1, 1], [2, 2], [3, 1]]) {
      const [d] = foldInfer(s, { type: 'resource', namespace: 'default', name: 'm', revision: rev, resource: makeInfer('m', replicas) }, 0).decisions as InferDecision[];
      ids.push(d.id);
      sets.push(d.decision.instances.length);
    }
    expect(sets).to.deep.equal([1, 2, 1]);
    expect(new Set(ids).size).to.equal(3);
  });

  it('a failure inside the grace period sets a wake-up; the tick at that time recreates', () => {
    const s = initialInferState();
    const mi = makeInfer('m', 1, undefined, { template: { restartGracePeriodSeconds: 2, roles: makeInfer('m', 1).spec.template.roles } });
    const [d] = foldInfer(s, { type: 'resource', namespace: 'default', name: 'm', revision: 1, resource: mi }, 0).decisions;
    const inst = d.decision.instances[0];
    expect(foldInfer(s, { type: 'observation', observation: observe(inst, 'failed', 1000) }, 1000).decisions).to.deep.equal([]);
    expect(nextWakeMs(s)).to.equal(3000);
    expect(foldInfer(s, { type: 'tick' }, 2999).decisions).to.deep.equal([]);
    const [r] = foldInfer(s, { type: 'tick' }, 3000).decisions;
    expect(r.decision.instances[0].incarnation).to.equal(1);
    expect(r.decision.reason).to.match(/RoleRecreate/);
    expect(nextWakeMs(s)).to.equal(undefined);
  });

  it('an older observation does not roll back a newer one', () => {
    const s = initialInferState();
    const [d] = foldInfer(s, { type: 'resource', namespace: 'default', name: 'm', revision: 1, resource: makeInfer('m', 1) }, 0).decisions;
    const i = d.decision.instances[0];
    loadInferEvent(s, { type: 'observation', observation: observe(i, 'ready', 50) });
    loadInferEvent(s, { type: 'observation', observation: observe(i, 'starting', 10) });
    expect(s.observed.get('default/m')!.get(i.name)!.phase).to.equal('ready');
  });
});
