import { expect } from 'chai';
import { checkResourceInput, contentMsgId, planApply, toStoredPayload, type ResourceInput, type StoredResource } from './resource-meta.js';
import { InvalidResourceError } from './errors.js';

const input = (spec: unknown, md: Partial<ResourceInput['metadata']> = {}, status?: unknown): ResourceInput => ({
  apiVersion: 'registry.matrixinfer.ai/v1alpha1',
  kind: 'Model',
  metadata: { name: 'm', ...md },
  spec,
  ...(status === undefined ? {} : { status }),
});
const ctx = { nowMs: Date.parse('2026-01-01T00:00:00Z'), newUid: () => 'uid-new' };

function stored(spec: unknown, extra: Partial<StoredResource['metadata']> = {}, status?: unknown): StoredResource {
  const r: StoredResource = {
    apiVersion: 'registry.matrixinfer.ai/v1alpha1',
    kind: 'Model',
    metadata: { name: 'm', namespace: 'default', uid: 'uid-old', resourceVersion: '7', generation: 3, creationTimestamp: '2025-01-01T00:00:00.000Z', ...extra },
    spec,
  };
  if (status !== undefined) r.status = status;
  return r;
}

describe('resource-meta (pure apply rules)', () => {
  const cases: { name: string; current: StoredResource | null; input: ResourceInput; result: string; generation: number; uid: string }[] = [
    { name: 'create', current: null, input: input({ a: 1 }), result: 'created', generation: 1, uid: 'uid-new' },
    { name: 'spec change bumps generation', current: stored({ a: 1 }), input: input({ a: 2 }), result: 'configured', generation: 4, uid: 'uid-old' },
    { name: 'label change keeps generation', current: stored({ a: 1 }), input: input({ a: 1 }, { labels: { x: 'y' } }), result: 'configured', generation: 3, uid: 'uid-old' },
    { name: 'status change keeps generation', current: stored({ a: 1 }, {}, { ready: 0 }), input: input({ a: 1 }, {}, { ready: 1 }), result: 'configured', generation: 3, uid: 'uid-old' },
    { name: 'equal spec with keys reordered is unchanged', current: stored({ a: 1, b: 2 }), input: input({ b: 2, a: 1 }), result: 'unchanged', generation: 3, uid: 'uid-old' },
    { name: 'no status in input keeps stored status, unchanged', current: stored({ a: 1 }, {}, { ready: 1 }), input: input({ a: 1 }), result: 'unchanged', generation: 3, uid: 'uid-old' },
    { name: 'empty labels equal no labels', current: stored({ a: 1 }), input: input({ a: 1 }, { labels: {} }), result: 'unchanged', generation: 3, uid: 'uid-old' },
    { name: 'client-sent server fields are ignored', current: stored({ a: 1 }), input: input({ a: 1 }, { uid: 'forged', generation: 99, resourceVersion: '1' }), result: 'unchanged', generation: 3, uid: 'uid-old' },
  ];
  for (const tc of cases) {
    it(tc.name, () => {
      const { result, next } = planApply(tc.current, tc.input, ctx);
      expect(result).to.equal(tc.result);
      expect(next.metadata.generation).to.equal(tc.generation);
      expect(next.metadata.uid).to.equal(tc.uid);
      expect(next.metadata.namespace).to.equal('default');
      if (tc.current) expect(next.metadata.creationTimestamp).to.equal(tc.current.metadata.creationTimestamp);
      else expect(next.metadata.creationTimestamp).to.equal('2026-01-01T00:00:00.000Z');
    });
  }

  it('drops resourceVersion from the stored payload', () => {
    expect(toStoredPayload(stored({})).metadata).to.not.have.property('resourceVersion');
  });

  it('derives message ids from subject, expectation, type and content (key order does not matter)', () => {
    const a = contentMsgId('s', 1, 't', { x: 1, y: 2 });
    expect(contentMsgId('s', 1, 't', { y: 2, x: 1 })).to.equal(a);
    expect(contentMsgId('s', 2, 't', { x: 1, y: 2 })).to.not.equal(a);
    expect(contentMsgId('s2', 1, 't', { x: 1, y: 2 })).to.not.equal(a);
    expect(contentMsgId('s', 1, 't', { x: 1, y: 3 })).to.not.equal(a);
  });

  const invalid: { name: string; r: unknown }[] = [
    { name: 'dotted name', r: input({}, { name: 'a.b' }) },
    { name: 'wildcard namespace', r: input({}, { namespace: '*' }) },
    { name: 'no kind', r: { ...input({}), kind: '' } },
    { name: 'no spec', r: { apiVersion: 'v', kind: 'Model', metadata: { name: 'm' } } },
  ];
  for (const tc of invalid) {
    it(`rejects ${tc.name}`, () => {
      expect(() => checkResourceInput(tc.r as ResourceInput)).to.throw(InvalidResourceError);
    });
  }
});
