import { expect } from 'chai';
import type { StoredResource } from '@matrixinfer/events';
import { INGEST_ANNOTATIONS, identityOf, toResourceInput, type K8sObject } from './object.js';
import { compareResourceVersions, planIngest, planMirroredScale, relistOrphans, type IngestEventType, type IngestPlan, type SubjectState } from './plan.js';

const KIND = { kind: 'Model', apiVersion: 'registry.matrixinfer.ai/v1alpha1' };

function k8s(name: string, uid: string, rv: string, spec: unknown = { backends: [] }, extra: Partial<NonNullable<K8sObject['metadata']>> = {}): K8sObject {
  return {
    apiVersion: KIND.apiVersion,
    kind: 'Model',
    metadata: {
      name,
      namespace: 'team-a',
      uid,
      resourceVersion: rv,
      generation: 2,
      creationTimestamp: '2026-01-01T00:00:00Z',
      managedFields: [{ manager: 'kubectl' }],
      ...extra,
    },
    spec,
    status: { conditions: [] },
  };
}

/** The stored form of `obj` at stream sequence `seq`, as the log would return it. */
function stored(obj: K8sObject, seq: number): StoredResource {
  const input = toResourceInput(obj, KIND.kind, KIND.apiVersion);
  return {
    ...input,
    metadata: { ...input.metadata, namespace: 'team-a', uid: 'store-uid', resourceVersion: String(seq), generation: 1, creationTimestamp: '2026-01-01T00:00:00.000Z' },
  } as StoredResource;
}

function notIngested(name: string, seq: number): StoredResource {
  return { apiVersion: KIND.apiVersion, kind: 'Model', metadata: { name, namespace: 'team-a', uid: 'store-uid', resourceVersion: String(seq), generation: 1, creationTimestamp: '2026-01-01T00:00:00.000Z' }, spec: { backends: [] } };
}

function ops(p: IngestPlan): string[] {
  return p.writes.map((w) => `${w.op}@${w.expectedRevision}`);
}

describe('ingest plan', () => {
  const cases: { name: string; type: IngestEventType; obj: K8sObject; cur: SubjectState; reason: string; ops: string[] }[] = [
    { name: 'new object on an empty subject: create expecting absence', type: 'upsert', obj: k8s('m', 'u1', '10'), cur: { seq: 0, live: null }, reason: 'created', ops: ['apply@absent'] },
    { name: 'new object over a tombstone: create expecting the tombstone', type: 'upsert', obj: k8s('m', 'u1', '10'), cur: { seq: 7, live: null }, reason: 'created', ops: ['apply@7'] },
    { name: 'the same resourceVersion again (restart, relist): skipped', type: 'upsert', obj: k8s('m', 'u1', '10'), cur: { seq: 3, live: stored(k8s('m', 'u1', '10'), 3) }, reason: 'same-version', ops: [] },
    { name: 'an older resourceVersion of the same object: skipped', type: 'upsert', obj: k8s('m', 'u1', '9', { backends: [{ name: 'x' }] }), cur: { seq: 3, live: stored(k8s('m', 'u1', '10'), 3) }, reason: 'older-version', ops: [] },
    { name: 'spec changed: update expecting the stored revision', type: 'upsert', obj: k8s('m', 'u1', '11', { backends: [{ name: 'x' }] }), cur: { seq: 3, live: stored(k8s('m', 'u1', '10'), 3) }, reason: 'updated', ops: ['apply@3'] },
    { name: 'label changed: update', type: 'upsert', obj: k8s('m', 'u1', '11', undefined, { labels: { team: 'a' } }), cur: { seq: 3, live: stored(k8s('m', 'u1', '10'), 3) }, reason: 'updated', ops: ['apply@3'] },
    {
      name: 'only status/managedFields/last-applied changed (new resourceVersion): unchanged, no event',
      type: 'upsert',
      obj: k8s('m', 'u1', '12', undefined, { managedFields: [{ manager: 'mi' }], annotations: { 'kubectl.kubernetes.io/last-applied-configuration': '{}' } }),
      cur: { seq: 3, live: stored(k8s('m', 'u1', '10'), 3) },
      reason: 'unchanged',
      ops: [],
    },
    { name: 'same name, new uid (re-created while not watched): tombstone, then create', type: 'upsert', obj: k8s('m', 'u2', '20'), cur: { seq: 3, live: stored(k8s('m', 'u1', '10'), 3) }, reason: 'recreated', ops: ['delete@3', 'apply@absent'] },
    { name: 'stored by mi apply before Kubernetes mode: adopted', type: 'upsert', obj: k8s('m', 'u1', '10'), cur: { seq: 4, live: notIngested('m', 4) }, reason: 'adopted', ops: ['apply@4'] },
    { name: 'terminating (deletionTimestamp, finalizers pending): deleted', type: 'upsert', obj: k8s('m', 'u1', '13', undefined, { deletionTimestamp: '2026-01-02T00:00:00Z', finalizers: ['x'] }), cur: { seq: 3, live: stored(k8s('m', 'u1', '10'), 3) }, reason: 'deleted', ops: ['delete@3'] },
    { name: 'delete of the stored object: tombstone expecting its revision', type: 'delete', obj: k8s('m', 'u1', '14'), cur: { seq: 3, live: stored(k8s('m', 'u1', '10'), 3) }, reason: 'deleted', ops: ['delete@3'] },
    { name: 'delete again (already a tombstone): skipped', type: 'delete', obj: k8s('m', 'u1', '14'), cur: { seq: 5, live: null }, reason: 'absent', ops: [] },
    { name: 'delete of an older object of the same name: skipped', type: 'delete', obj: k8s('m', 'u0', '5'), cur: { seq: 3, live: stored(k8s('m', 'u1', '10'), 3) }, reason: 'other-object', ops: [] },
    { name: 'delete of a name whose stored version did not come from Kubernetes: skipped', type: 'delete', obj: k8s('m', 'u1', '5'), cur: { seq: 3, live: notIngested('m', 3) }, reason: 'not-ingested', ops: [] },
  ];
  for (const tc of cases) {
    it(tc.name, () => {
      const p = planIngest(tc.type, tc.obj, KIND, tc.cur);
      expect(p.reason).to.equal(tc.reason);
      expect(ops(p)).to.deep.equal(tc.ops);
    });
  }

  it('the applied resource keeps labels, annotations, owners and spec, carries the Kubernetes identity, and drops server-only fields and status', () => {
    const owner = { apiVersion: 'registry.matrixinfer.ai/v1alpha1', kind: 'Model', name: 'parent', uid: 'p1', controller: true };
    const obj = k8s('m', 'u1', '10', { replicas: 2 }, { labels: { a: 'b' }, annotations: { note: 'x', 'kubectl.kubernetes.io/last-applied-configuration': '{}', [INGEST_ANNOTATIONS.uid]: 'spoofed' }, ownerReferences: [owner] });
    const p = planIngest('upsert', obj, KIND, { seq: 0, live: null });
    const w = p.writes[0];
    if (w?.op !== 'apply') throw new Error('expected an apply');
    expect(w.resource).to.deep.equal({
      apiVersion: KIND.apiVersion,
      kind: 'Model',
      metadata: {
        name: 'm',
        namespace: 'team-a',
        labels: { a: 'b' },
        annotations: { note: 'x', [INGEST_ANNOTATIONS.uid]: 'u1', [INGEST_ANNOTATIONS.resourceVersion]: '10', [INGEST_ANNOTATIONS.generation]: '2' },
        ownerReferences: [owner],
      },
      spec: { replicas: 2 },
    });
    expect(identityOf(w.resource as unknown as StoredResource)).to.deep.equal({ uid: 'u1', resourceVersion: '10', generation: 2 });
  });

  it('compares resourceVersions numerically (also past 2^53), only by equality when not decimal', () => {
    expect(compareResourceVersions('9', '10')).to.equal(-1);
    expect(compareResourceVersions('90071992547409930', '90071992547409929')).to.equal(1);
    expect(compareResourceVersions('abc', 'abc')).to.equal(0);
    expect(compareResourceVersions('abc', 'abd')).to.equal(undefined);
    expect(compareResourceVersions(undefined, '1')).to.equal(undefined);
  });

  it('relist: ingested resources missing from the list become deletes; listed and not-ingested ones stay', () => {
    const listed = [k8s('kept', 'u1', '10')];
    const orphans = relistOrphans(listed, [stored(k8s('kept', 'u1', '10'), 1), stored(k8s('gone', 'u2', '11'), 2), notIngested('local', 3)]);
    expect(orphans.map((o) => [o.metadata?.name, o.metadata?.uid])).to.deep.equal([['gone', 'u2']]);
    const p = planIngest('delete', orphans[0]!, KIND, { seq: 2, live: stored(k8s('gone', 'u2', '11'), 2) });
    expect(ops(p)).to.deep.equal(['delete@2']);
  });
});

describe('k8s ingest plan: planMirroredScale', () => {
  const liveMi = {
    apiVersion: 'workload.matrixinfer.ai/v1alpha1',
    kind: 'ModelInfer',
    metadata: { name: 'm-sim', namespace: 'default', uid: 'log-uid', generation: 3, resourceVersion: '12', creationTimestamp: 't', labels: { a: 'b' } },
    spec: { replicas: 2, template: { roles: [] } },
  };
  it('takes only spec.replicas from Kubernetes into the log version, with the expected revision', () => {
    const p = planMirroredScale({ metadata: { name: 'm-sim' }, spec: { replicas: 3, template: { roles: ['changed by hand'] } } }, { seq: 12, live: liveMi as never });
    expect(p.reason).to.equal('scaled');
    expect(p.writes).to.have.length(1);
    const w = p.writes[0] as { resource: { spec: unknown; metadata: Record<string, unknown> }; expectedRevision: number };
    expect(w.resource.spec).to.deep.equal({ replicas: 3, template: { roles: [] } });
    expect(w.resource.metadata).to.not.have.property('resourceVersion');
    expect(w.resource.metadata.labels).to.deep.equal({ a: 'b' });
    expect(w.expectedRevision).to.equal(12);
  });
  it('writes nothing when the count is the same, missing or invalid, or the log has no live version', () => {
    for (const replicas of [2, undefined, -1, 1.5, '3']) expect(planMirroredScale({ spec: { replicas } }, { seq: 12, live: liveMi as never }).writes).to.deep.equal([]);
    expect(planMirroredScale({ spec: { replicas: 3 } }, { seq: 4, live: null }).reason).to.equal('absent');
  });
});
