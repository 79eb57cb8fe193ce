import { expect } from 'chai';
import { MIRROR_ANNOTATION } from '../ingest/mirrored.js';
import { CLEANUP_FINALIZER, finalizerAction, ownedBy, withFinalizer } from './plan.js';

describe('k8s cleanup finalizer: plan', () => {
  const live = { metadata: { name: 'm', finalizers: ['other'] } };
  it('adds to a live Model or ModelInfer a user made; waits for cleanup of one being deleted; nothing otherwise', () => {
    expect(finalizerAction('Model', live)).to.equal('add');
    expect(finalizerAction('ModelInfer', { metadata: { name: 'x' } })).to.equal('add');
    expect(finalizerAction('Model', { metadata: { name: 'm', finalizers: [CLEANUP_FINALIZER] } })).to.equal('none');
    expect(finalizerAction('Model', { metadata: { name: 'm', finalizers: [CLEANUP_FINALIZER], deletionTimestamp: '2026-12-07T00:00:00Z' } })).to.equal('await-cleanup');
    // Being deleted without ours: adding is forbidden by the API server, and there is nothing to hold.
    expect(finalizerAction('Model', { metadata: { name: 'm', deletionTimestamp: '2026-12-07T00:00:00Z' } })).to.equal('none');
    expect(finalizerAction('ModelServer', { metadata: { name: 's' } })).to.equal('none');
    expect(finalizerAction('ModelInfer', { metadata: { name: 'c', annotations: { [MIRROR_ANNOTATION]: 'mi.desired.modelinfer.default.c' } } })).to.equal('none');
  });
  it('adds or removes only ours, keeping the others in order', () => {
    expect(withFinalizer(['a', 'b'], true)).to.deep.equal(['a', 'b', CLEANUP_FINALIZER]);
    expect(withFinalizer(['a', CLEANUP_FINALIZER, 'b'], true)).to.deep.equal(['a', 'b', CLEANUP_FINALIZER]);
    expect(withFinalizer(['a', CLEANUP_FINALIZER, 'b'], false)).to.deep.equal(['a', 'b']);
    expect(withFinalizer(undefined, false)).to.deep.equal([]);
  });
  it('ownedBy matches owner reference uids', () => {
    const o = { metadata: { ownerReferences: [{ apiVersion: 'v', kind: 'Model', name: 'm', uid: 'u1' }] } };
    expect(ownedBy(o, 'u1')).to.equal(true);
    expect(ownedBy(o, 'u2')).to.equal(false);
    expect(ownedBy({ metadata: {} }, 'u1')).to.equal(false);
  });
});
