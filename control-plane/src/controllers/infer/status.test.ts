import { expect } from 'chai';
import { makeInfer, observe } from '../testdata.js';
import { renderGroup } from './instances.js';
import { CRASH_LOOP_RESTARTS, inferStatus } from './status.js';

function conditions(st: ReturnType<typeof inferStatus>): Record<string, string> {
  return Object.fromEntries(st.conditions.map((c) => [c.type, `${c.status}/${c.reason}`]));
}

describe('infer status', () => {
  const mi = makeInfer('s', 2);
  const published = [...renderGroup(mi, 0), ...renderGroup(mi, 1)];

  it('counts running, updated and available groups', () => {
    const observed = new Map([[published[0].name, observe(published[0], 'ready', 1)]]);
    const st = inferStatus(mi, published, observed, 7);
    expect([st.replicas, st.currentReplicas, st.updatedReplicas, st.availableReplicas]).to.deep.equal([2, 2, 2, 1]);
    expect(st.observedGeneration).to.equal(1);
    expect(st.labelSelector).to.equal('modelinfer.matrixinfer.ai/name=s');
    expect(conditions(st)).to.deep.equal({ Available: 'False/GroupsNotReady', Progressing: 'True/Reconciling', Failed: 'False/NoFailure' });
  });

  it('all ready: Available, not Progressing; an outdated group counts as not updated', () => {
    const observed = new Map(published.map((i) => [i.name, observe(i, 'ready', 1)]));
    expect(conditions(inferStatus(mi, published, observed))).to.deep.equal({ Available: 'True/AllGroupsReady', Progressing: 'False/Complete', Failed: 'False/NoFailure' });
    const changed = makeInfer('s', 2, [{ ...mi.spec.template.roles[0], entryTemplate: { spec: { containers: [{ name: 'engine', image: 'other' }] } } }]);
    const st = inferStatus(changed, published, observed);
    expect(st.updatedReplicas).to.equal(0);
    expect(st.currentRevision).to.not.equal(st.updateRevision);
  });

  it('Failed with recoveryPolicy None, or after repeated recreates (crash loop)', () => {
    const failed = new Map([[published[0].name, observe(published[0], 'failed', 1)]]);
    expect(conditions(inferStatus(mi, published, failed)).Failed).to.equal('False/Recovering');
    expect(conditions(inferStatus({ ...mi, spec: { ...mi.spec, recoveryPolicy: 'None' } }, published, failed)).Failed).to.equal('True/InstanceFailed');
    const looping = published.map((i, n) => (n === 0 ? { ...i, incarnation: CRASH_LOOP_RESTARTS } : i));
    const loopObs = new Map([[looping[0].name, observe(looping[0], 'exited', 1)]]);
    const st = inferStatus(mi, looping, loopObs);
    expect(conditions(st).Failed).to.equal('True/CrashLoop');
    expect(st.conditions.find((c) => c.type === 'Failed')!.message).to.match(/s-0-server-0-0 \(recreated 5 times\)/);
  });

  it('Simulated when an instance runs the simulator in place of its engine (and not otherwise)', () => {
    const observed = new Map(published.map((i, n) => [i.name, { ...observe(i, 'ready', 1), ...(n === 0 ? { simulatedEngine: 'vllm' } : {}) }]));
    const st = inferStatus(mi, published, observed);
    expect(conditions(st).Simulated).to.equal('True/EngineNotInstalled');
    expect(st.conditions.find((c) => c.type === 'Simulated')!.message).to.equal(`1/${published.length} instances run the built-in simulator in place of vllm (not installed on this machine)`);
    expect(conditions(inferStatus(mi, published, new Map(published.map((i) => [i.name, observe(i, 'ready', 1)]))))).to.not.have.property('Simulated');
  });
});
