import { expect } from 'chai';
import { planGc, type GcItem } from './gc.js';
import type { KObject } from './types.js';

const obj = (kind: string, name: string, uid: string, extra: Partial<NonNullable<KObject['metadata']>> = {}): GcItem => ({
  resource: kind.toLowerCase() + 's.',
  namespaced: kind !== 'Namespace',
  object: { kind, metadata: { name, namespace: kind === 'Namespace' ? undefined : 'ns', uid, ...extra } },
});
const ref = (kind: string, name: string, uid: string, block = false) => ({ apiVersion: 'v1', kind, name, uid, ...(block ? { blockOwnerDeletion: true } : {}) });
const now = '2026-01-01T00:00:00Z';

describe('test apiserver garbage collection plan', () => {
  const cases: { name: string; items: GcItem[]; want: unknown[] }[] = [
    { name: 'consistent: nothing to do', items: [obj('Owner', 'o', 'u1'), obj('Pod', 'p', 'u2', { ownerReferences: [ref('Owner', 'o', 'u1')] })], want: [] },
    { name: 'owner gone: dependent deleted in background', items: [obj('Pod', 'p', 'u2', { ownerReferences: [ref('Owner', 'o', 'u1')] })], want: [{ type: 'delete', resource: 'pods.', namespace: 'ns', name: 'p', uid: 'u2', propagation: 'Background' }] },
    { name: 'an owner of the same name but another uid does not count', items: [obj('Owner', 'o', 'u9'), obj('Pod', 'p', 'u2', { ownerReferences: [ref('Owner', 'o', 'u1')] })], want: [{ type: 'delete', resource: 'pods.', namespace: 'ns', name: 'p', uid: 'u2', propagation: 'Background' }] },
    {
      name: 'one of two owners gone: only the dangling reference is removed',
      items: [obj('Owner', 'o', 'u1'), obj('Pod', 'p', 'u2', { ownerReferences: [ref('Owner', 'o', 'u1'), ref('Owner', 'gone', 'u3')] })],
      want: [{ type: 'removeOwnerRefs', resource: 'pods.', namespace: 'ns', name: 'p', uids: ['u3'] }],
    },
    {
      name: 'foreground owner: dependents deleted, owner keeps its finalizer while a blocking dependent exists',
      items: [obj('Owner', 'o', 'u1', { deletionTimestamp: now, finalizers: ['foregroundDeletion'] }), obj('Pod', 'p', 'u2', { ownerReferences: [ref('Owner', 'o', 'u1', true)] })],
      want: [{ type: 'delete', resource: 'pods.', namespace: 'ns', name: 'p', uid: 'u2', propagation: 'Background' }],
    },
    { name: 'foreground owner without dependents: finalizer removed', items: [obj('Owner', 'o', 'u1', { deletionTimestamp: now, finalizers: ['foregroundDeletion'] })], want: [{ type: 'removeFinalizer', resource: 'owners.', namespace: 'ns', name: 'o', finalizer: 'foregroundDeletion' }] },
    {
      name: 'orphan: references removed from dependents first, then the finalizer',
      items: [obj('Owner', 'o', 'u1', { deletionTimestamp: now, finalizers: ['orphan'] }), obj('Pod', 'p', 'u2', { ownerReferences: [ref('Owner', 'o', 'u1')] })],
      want: [{ type: 'removeOwnerRefs', resource: 'pods.', namespace: 'ns', name: 'p', uids: ['u1'] }],
    },
    {
      name: 'terminating namespace: content deleted, then the namespace finalized',
      items: [{ ...obj('Namespace', 'ns', 'n1', { deletionTimestamp: now }) }, obj('ConfigMap', 'c', 'u5')],
      want: [{ type: 'delete', resource: 'configmaps.', namespace: 'ns', name: 'c', uid: 'u5', propagation: 'Background' }],
    },
    { name: 'empty terminating namespace finalized', items: [obj('Namespace', 'ns', 'n1', { deletionTimestamp: now })], want: [{ type: 'finalizeNamespace', name: 'ns' }] },
  ];
  for (const tc of cases) it(tc.name, () => expect(planGc(tc.items)).to.deep.equal(tc.want));
});
