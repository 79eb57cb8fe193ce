import { expect } from 'chai';
import { makeEvent, INSTANCES_DECISION } from '@matrixinfer/events';
import { AUTOSCALER_DECISION, MODEL_DECISION } from '@matrixinfer/control-plane';
import { eventsFor, inferReason } from './plan.js';

describe('k8s events: which decisions become Events', () => {
  it('infer decisions: recovery is a Warning, scale and rolling update Normal, on the ModelInfer', () => {
    expect(inferReason('recovery (RoleRecreate): recreate server-0 of group 1 because exited')).to.deep.equal({ reason: 'Recovery', type: 'Warning' });
    expect(inferReason('rolling update: replace group 0 (revision a → b; 1/2 groups stay available, maxUnavailable 1)')).to.deep.equal({ reason: 'RollingUpdate', type: 'Normal' });
    expect(inferReason('scale: create group 2 (replicas 3)')).to.deep.equal({ reason: 'Scale', type: 'Normal' });
    const e = makeEvent(INSTANCES_DECISION, 'infer', 'mi.decisions.infer.ns.m', { modelInfer: 'm', namespace: 'ns', generation: 1, instances: [], reason: 'ModelInfer deleted: stop all 2 instances' });
    expect(eventsFor(e)).to.deep.equal([{ kind: 'ModelInfer', namespace: 'ns', name: 'm', reason: 'Deleted', type: 'Normal', message: 'ModelInfer deleted: stop all 2 instances' }]);
  });
  it('model decisions go on the Model; autoscaler decisions only when a count changes, one per target', () => {
    expect(eventsFor(makeEvent(MODEL_DECISION, 'model', 's', { model: 'llama', namespace: 'ns', reason: 'create ModelInfer/llama-sim' }))[0]).to.include({ kind: 'Model', name: 'llama', reason: 'Children' });
    const scaled = eventsFor(makeEvent(AUTOSCALER_DECISION, 'autoscaler', 's', { valid: true, namespace: 'ns', reason: 'panic: inFlight 5 > 2', replicas: { a: { current: 1, desired: 3 }, b: { current: 2, desired: 2 } } }));
    expect(scaled).to.deep.equal([{ kind: 'ModelInfer', namespace: 'ns', name: 'a', type: 'Normal', reason: 'Autoscaled', message: 'replicas 1 → 3: panic: inFlight 5 > 2' }]);
    expect(eventsFor(makeEvent(AUTOSCALER_DECISION, 'autoscaler', 's', { valid: false, namespace: 'ns', reason: 'x', replicas: { a: { current: 1, desired: 3 } } }))).to.deep.equal([]);
    expect(eventsFor(makeEvent('other', 'x', 's', { namespace: 'ns' }))).to.deep.equal([]);
    const long = eventsFor(makeEvent(MODEL_DECISION, 'model', 's', { model: 'm', namespace: 'ns', reason: 'x'.repeat(5000) }))[0];
    expect(long.message.length).to.equal(1024);
  });
});
