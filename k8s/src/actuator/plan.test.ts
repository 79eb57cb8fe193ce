import { expect } from 'chai';
import type { V1Pod, V1Service } from '@kubernetes/client-node';
import { INSTANCE_LABELS } from '@matrixinfer/events';
import { planObjects, podIdentity, type DesiredSet } from './plan.js';
import { renderGroupService, renderPod } from './pods.js';
import { instanceSpec } from './testdata.js';

const owner = { name: 'llama', uid: 'uid-1' };
const set = (instances: DesiredSet['instances'], withOwner = true): DesiredSet => ({ namespace: 'ns', modelInfer: 'llama', instances, owner: withOwner ? owner : undefined });
const names = (objs: { metadata?: { name?: string } }[]) => objs.map((o) => o.metadata!.name);
// What the API server returns: the rendered object plus server fields.
const stored = <T extends V1Pod | V1Service>(o: T, extra: Partial<NonNullable<T['metadata']>> = {}): T => ({ ...o, metadata: { ...o.metadata, uid: `u-${o.metadata!.name}`, ...extra } });

describe('k8s actuator: planObjects', () => {
  const two = [instanceSpec({ podIndex: 0, workers: 1 }), instanceSpec({ podIndex: 1, workers: 1 })];

  it('creates every Pod and one Service per group when nothing exists', () => {
    const plan = planObjects([set([...two, instanceSpec({ group: 1 })])], [], []);
    expect(names(plan.createPods)).to.deep.equal(['llama-0-server-0-0', 'llama-0-server-0-1', 'llama-1-server-0-0']);
    expect(names(plan.createServices)).to.deep.equal(['llama-0', 'llama-1']);
    expect(plan.deletions).to.deep.equal([]);
  });

  it('leaves unchanged Pods alone whatever their phase (no restart)', () => {
    const pods = two.map((s) => stored(renderPod(s, { owner }), {}));
    pods[1] = { ...pods[1], status: { phase: 'Failed' } };
    const svc = stored(renderGroupService(two[0], { owner }));
    const plan = planObjects([set(two)], pods, [svc]);
    expect(plan).to.deep.equal({ createPods: [], createServices: [], deletions: [], waiting: [] });
  });

  it('deletes a Pod whose incarnation or revision changed, and creates it only once the name is free', () => {
    const pods = two.map((s) => stored(renderPod(s, { owner })));
    const next = [two[0], instanceSpec({ podIndex: 1, workers: 1, incarnation: 1 })];
    const plan = planObjects([set(next)], pods, []);
    expect(plan.deletions.map((d) => [d.name, d.reason])).to.deep.equal([['llama-0-server-0-1', 'replaced: incarnation 0 → 1']]);
    expect(names(plan.createPods)).to.deep.equal([]);
    const terminating = [pods[0], { ...pods[1], metadata: { ...pods[1].metadata, deletionTimestamp: new Date() } }];
    const later = planObjects([set(next)], terminating, []);
    expect(later.deletions).to.deep.equal([]);
    expect(later.waiting).to.deep.equal(['ns/llama-0-server-0-1']);
    const gone = planObjects([set(next)], [pods[0]], []);
    expect(names(gone.createPods)).to.deep.equal(['llama-0-server-0-1']);
    const rev = planObjects([set([instanceSpec({ podIndex: 0, workers: 1, revision: 'rev2' }), two[1]])], pods, []);
    expect(rev.deletions[0].reason).to.equal('replaced: revision rev1 → rev2');
  });

  it('scale down: deletes the Pods and Service of a group no longer desired, never objects of other ModelInfers', () => {
    const g1 = instanceSpec({ group: 1 });
    const pods = [...two, g1].map((s) => stored(renderPod(s, { owner })));
    const foreign = stored(renderPod(instanceSpec({ modelInfer: 'other' }), { owner: { name: 'other', uid: 'u2' } }));
    const unlabelled: V1Pod = { metadata: { name: 'web', namespace: 'ns' } };
    const services = [two[0], g1].map((s) => stored(renderGroupService(s, { owner })));
    const plan = planObjects([set(two)], [...pods, foreign, unlabelled], services);
    expect(plan.deletions.map((d) => `${d.kind}/${d.name}: ${d.reason}`)).to.deep.equal(['Pod/llama-1-server-0-0: no longer in the desired instance set', 'Service/llama-1: no longer in the desired instance set']);
    expect(plan.deletions[0].uid).to.equal('u-llama-1-server-0-0');
  });

  it('an empty set (ModelInfer deleted or scaled to 0) deletes everything of that ModelInfer', () => {
    const pods = two.map((s) => stored(renderPod(s, { owner })));
    const plan = planObjects([set([])], pods, [stored(renderGroupService(two[0], { owner }))]);
    expect(plan.deletions.map((d) => d.name)).to.deep.equal(['llama-0-server-0-0', 'llama-0-server-0-1', 'llama-0']);
  });

  it('without an owner (ModelInfer not in the API server yet) creates and deletes nothing for it', () => {
    const pods = [stored(renderPod(instanceSpec({ group: 5 }), { owner }))];
    const plan = planObjects([set(two, false)], pods, []);
    expect(plan).to.deep.equal({ createPods: [], createServices: [], deletions: [], waiting: [] });
  });

  it('does not recreate a Pod that vanished without the actuator deleting it (recovery decides), but does after a new incarnation', () => {
    const lostPod = renderPod(two[1], { owner });
    const lost = new Set([podIdentity(lostPod)]);
    const plan = planObjects([set(two)], [stored(renderPod(two[0], { owner }))], [], { lost });
    expect(names(plan.createPods)).to.deep.equal([]);
    const recreated = planObjects([set([two[0], instanceSpec({ podIndex: 1, workers: 1, incarnation: 1 })])], [stored(renderPod(two[0], { owner }))], [], { lost });
    expect(names(recreated.createPods)).to.deep.equal(['llama-0-server-0-1']);
    expect(recreated.createPods[0].metadata!.labels![INSTANCE_LABELS.modelInfer]).to.equal('llama');
  });
});
