import { expect } from 'chai';
import { contentHash, type CoreKind, type CoreObject } from './core-objects.js';
import { MissingEnvSourceError, resolveEnvSources, type CoreObjectLookup } from './env-sources.js';

const obj = (kind: CoreKind, name: string, data: Record<string, string>, namespace = 'default'): CoreObject => ({ kind, namespace, name, data, sha256: contentHash(kind, data) });
const objects = [obj('Secret', 'hf', { HF_TOKEN: 's3cret', SHARED: 'from-secret' }), obj('ConfigMap', 'cfg', { LOG: 'debug', SHARED: 'from-cm' }), obj('Secret', 'other-ns', { X: '1' }, 'prod')];
const lookup: CoreObjectLookup = (kind, ns, name) => objects.find((o) => o.kind === kind && o.namespace === ns && o.name === name);

describe('resolveEnvSources', () => {
  it('takes envFrom in order (later wins, with prefix), then env over it', () => {
    const env = resolveEnvSources(
      'default',
      [
        { name: 'LOG', value: 'info' },
        { name: 'TOKEN', valueFrom: { secretKeyRef: { name: 'hf', key: 'HF_TOKEN' } } },
        { name: 'LEVEL', valueFrom: { configMapKeyRef: { name: 'cfg', key: 'LOG' } } },
      ],
      [{ secretRef: { name: 'hf' } }, { configMapRef: { name: 'cfg' } }, { prefix: 'CM_', configMapRef: { name: 'cfg' } }],
      lookup,
    );
    expect(env).to.deep.equal({ HF_TOKEN: 's3cret', SHARED: 'from-cm', LOG: 'info', CM_LOG: 'debug', CM_SHARED: 'from-cm', TOKEN: 's3cret', LEVEL: 'debug' });
  });

  it('skips optional references to missing objects and keys', () => {
    const env = resolveEnvSources(
      'default',
      [
        { name: 'A', valueFrom: { secretKeyRef: { name: 'hf', key: 'NOPE', optional: true } } },
        { name: 'B', valueFrom: { configMapKeyRef: { name: 'ghost', key: 'k', optional: true } } },
      ],
      [{ secretRef: { name: 'ghost', optional: true } }],
      lookup,
    );
    expect(env).to.deep.equal({});
  });

  it('leaves fieldRef and resourceFieldRef to the caller (and drops an earlier value of that name)', () => {
    const env = resolveEnvSources('default', [{ name: 'IP', value: 'x' }, { name: 'IP', valueFrom: { fieldRef: { fieldPath: 'status.podIP' } } }], [], lookup);
    expect(env).to.deep.equal({});
  });

  it('looks only in the namespace asked for', () => {
    expect(() => resolveEnvSources('default', [], [{ secretRef: { name: 'other-ns' } }], lookup)).to.throw(MissingEnvSourceError);
    expect(resolveEnvSources('prod', [], [{ secretRef: { name: 'other-ns' } }], lookup)).to.deep.equal({ X: '1' });
  });

  const missing: Array<{ name: string; run: () => unknown; key?: string; objectName: string; kind: CoreKind }> = [
    { name: 'a missing envFrom Secret', run: () => resolveEnvSources('default', [], [{ secretRef: { name: 'ghost' } }], lookup), objectName: 'ghost', kind: 'Secret' },
    { name: 'a missing ConfigMap of valueFrom', run: () => resolveEnvSources('default', [{ name: 'A', valueFrom: { configMapKeyRef: { name: 'ghost', key: 'k' } } }], [], lookup), objectName: 'ghost', kind: 'ConfigMap' },
    { name: 'a missing key', run: () => resolveEnvSources('default', [{ name: 'A', valueFrom: { secretKeyRef: { name: 'hf', key: 'NOPE' } } }], [], lookup), objectName: 'hf', kind: 'Secret', key: 'NOPE' },
  ];
  for (const tc of missing) {
    it(`fails on ${tc.name} with a typed error`, () => {
      let err: unknown;
      try {
        tc.run();
      } catch (e) {
        err = e;
      }
      expect(err).to.be.instanceOf(MissingEnvSourceError);
      const e = err as MissingEnvSourceError;
      expect(e).to.deep.include({ code: 'MI_ERR_ENV_SOURCE_MISSING', kind: tc.kind, namespace: 'default', objectName: tc.objectName, key: tc.key });
      expect(e.message).to.not.include('s3cret');
    });
  }
});
