import { expect } from 'chai';
import { jsonPatch, mergePatch, PatchError, strategicMergePatch } from './patch.js';
import { builtinResources } from './builtins.js';

const pod = builtinResources().find((r) => r.kind === 'Pod')!;

describe('test apiserver patches', () => {
  it('merge patch: objects merge, null deletes, arrays replace', () => {
    expect(mergePatch({ a: 1, b: { c: 2, d: 3 }, l: [1, 2] }, { b: { c: null, e: 4 }, l: [3] })).to.deep.equal({ a: 1, b: { d: 3, e: 4 }, l: [3] });
  });

  const jp: { name: string; doc: unknown; ops: unknown; want?: unknown; error?: string }[] = [
    { name: 'add/replace/remove', doc: { a: { b: 1 }, l: [1, 2] }, ops: [{ op: 'add', path: '/a/c', value: 2 }, { op: 'replace', path: '/a/b', value: 3 }, { op: 'remove', path: '/l/0' }, { op: 'add', path: '/l/-', value: 9 }], want: { a: { b: 3, c: 2 }, l: [2, 9] } },
    { name: 'escaped keys', doc: { metadata: { labels: { 'a/b': 'x' } } }, ops: [{ op: 'remove', path: '/metadata/labels/a~1b' }], want: { metadata: { labels: {} } } },
    { name: 'move and copy', doc: { a: 1 }, ops: [{ op: 'copy', from: '/a', path: '/b' }, { op: 'move', from: '/a', path: '/c' }], want: { b: 1, c: 1 } },
    { name: 'test passes', doc: { a: 1 }, ops: [{ op: 'test', path: '/a', value: 1 }], want: { a: 1 } },
    { name: 'test fails', doc: { a: 1 }, ops: [{ op: 'test', path: '/a', value: 2 }], error: 'testing value /a failed' },
    { name: 'remove missing', doc: { a: 1 }, ops: [{ op: 'remove', path: '/b' }], error: 'doc is missing key' },
    { name: 'not an array', doc: {}, ops: { op: 'add' }, error: 'must be an array' },
  ];
  for (const tc of jp) {
    it(`json patch: ${tc.name}`, () => {
      if (tc.error) expect(() => jsonPatch(tc.doc, tc.ops)).to.throw(PatchError, tc.error);
      else expect(jsonPatch(tc.doc, tc.ops)).to.deep.equal(tc.want);
    });
  }

  const base = { metadata: { finalizers: ['a'], labels: { x: '1' } }, spec: { containers: [{ name: 'c1', image: 'i1', env: [{ name: 'A', value: '1' }] }, { name: 'c2', image: 'i2' }], tolerations: [{ key: 't' }] } };
  const smp: { name: string; patch: unknown; want: unknown }[] = [
    { name: 'containers merge by name', patch: { spec: { containers: [{ name: 'c2', image: 'new' }, { name: 'c3', image: 'i3' }] } }, want: { ...base, spec: { ...base.spec, containers: [base.spec.containers[0], { name: 'c2', image: 'new' }, { name: 'c3', image: 'i3' }] } } },
    { name: 'nested env merges by name', patch: { spec: { containers: [{ name: 'c1', env: [{ name: 'B', value: '2' }] }] } }, want: { ...base, spec: { ...base.spec, containers: [{ name: 'c1', image: 'i1', env: [{ name: 'A', value: '1' }, { name: 'B', value: '2' }] }, base.spec.containers[1]] } } },
    { name: '$patch: delete removes an element', patch: { spec: { containers: [{ name: 'c1', $patch: 'delete' }] } }, want: { ...base, spec: { ...base.spec, containers: [base.spec.containers[1]] } } },
    { name: 'atomic lists replace', patch: { spec: { tolerations: [{ key: 'u' }] } }, want: { ...base, spec: { ...base.spec, tolerations: [{ key: 'u' }] } } },
    { name: 'finalizers union and $deleteFromPrimitiveList', patch: { metadata: { finalizers: ['b'], '$deleteFromPrimitiveList/finalizers': ['a'] } }, want: { ...base, metadata: { ...base.metadata, finalizers: ['b'] } } },
    { name: '$setElementOrder reorders', patch: { spec: { '$setElementOrder/containers': [{ name: 'c2' }, { name: 'c1' }] } }, want: { ...base, spec: { ...base.spec, containers: [base.spec.containers[1], base.spec.containers[0]] } } },
    { name: '$patch: replace on a map', patch: { metadata: { labels: { $patch: 'replace', y: '2' } } }, want: { ...base, metadata: { ...base.metadata, labels: { y: '2' } } } },
    { name: 'null deletes a field', patch: { metadata: { labels: null } }, want: { ...base, metadata: { finalizers: ['a'] } } },
  ];
  for (const tc of smp) {
    it(`strategic merge patch: ${tc.name}`, () => {
      expect(strategicMergePatch(pod, base, tc.patch)).to.deep.equal(tc.want);
    });
  }
});
