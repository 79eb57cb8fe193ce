import { expect } from 'chai';
import { classifyDocument, contentHash, parseCoreObject, skipWarning } from './core-objects.js';

const secret = (extra: Record<string, unknown> = {}) => ({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 'hf-token' }, ...extra });

describe('core objects (Secret, ConfigMap, skipped kinds)', () => {
  it('classifies documents: stored, skipped, ours', () => {
    expect(classifyDocument(secret())).to.deep.equal({ type: 'stored', kind: 'Secret' });
    expect(classifyDocument({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c' } })).to.deep.equal({ type: 'stored', kind: 'ConfigMap' });
    expect(classifyDocument({ apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web' } })).to.deep.equal({ type: 'skipped', apiVersion: 'apps/v1', kind: 'Deployment', name: 'web' });
    expect(classifyDocument({ apiVersion: 'v1', kind: 'Service' })).to.deep.include({ type: 'skipped', name: '<no name>' });
    // Our kinds (also with a wrong apiVersion) and our groups (also with a misspelt kind) go to the schemas.
    expect(classifyDocument({ apiVersion: 'v1', kind: 'Model' })).to.deep.equal({ type: 'matrixinfer' });
    expect(classifyDocument({ apiVersion: 'registry.matrixinfer.ai/v1alpha1', kind: 'Modle' })).to.deep.equal({ type: 'matrixinfer' });
    expect(classifyDocument({ kind: 'Secret' })).to.deep.equal({ type: 'matrixinfer' });
  });

  it('words the skip warning as one line', () => {
    expect(skipWarning({ apiVersion: 'apps/v1', kind: 'Deployment', name: 'foo' })).to.equal('skipped apps/v1 Deployment foo: not a MatrixInfer kind; use kubectl for core kinds');
  });

  it('decodes Secret data, lets stringData win and defaults the namespace', () => {
    const r = parseCoreObject('Secret', secret({ type: 'Opaque', data: { a: Buffer.from('one').toString('base64'), b: 'dHdv' }, stringData: { b: 'zwei' } }));
    if (!('object' in r)) throw new Error(JSON.stringify(r));
    expect(r.object).to.deep.include({ kind: 'Secret', namespace: 'default', name: 'hf-token', type: 'Opaque', data: { a: 'one', b: 'zwei' } });
    expect(r.object.sha256).to.match(/^sha256:[0-9a-f]{64}$/);
  });

  it('keeps ConfigMap data as text and binaryData as base64', () => {
    const r = parseCoreObject('ConfigMap', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'cfg', namespace: 'prod' }, data: { LOG: 'debug' }, binaryData: { blob: 'AAE=' } });
    if (!('object' in r)) throw new Error(JSON.stringify(r));
    expect(r.object).to.deep.include({ namespace: 'prod', data: { LOG: 'debug' }, binaryData: { blob: 'AAE=' } });
  });

  it('hashes contents independently of key order, and differently per kind', () => {
    expect(contentHash('Secret', { a: '1', b: '2' })).to.equal(contentHash('Secret', { b: '2', a: '1' }));
    expect(contentHash('Secret', { a: '1' })).to.not.equal(contentHash('ConfigMap', { a: '1' }));
    expect(contentHash('Secret', { a: '1' })).to.not.equal(contentHash('Secret', { a: '2' }));
  });

  const invalid: Array<{ name: string; doc: Record<string, unknown>; path: string; message: RegExp }> = [
    { name: 'data not base64', doc: secret({ data: { token: 'hunter2!' } }), path: 'data["token"]', message: /must be base64/ },
    { name: 'misspelt field', doc: secret({ stringDta: { a: 'b' } }), path: 'stringDta', message: /did you mean "stringData"/ },
    { name: 'bad key', doc: secret({ stringData: { 'a b': 'x' } }), path: 'stringData["a b"]', message: /key must consist/ },
    { name: 'value not a string', doc: secret({ stringData: { a: 3 } }), path: 'stringData["a"]', message: /must be a string/ },
    { name: 'no metadata', doc: { apiVersion: 'v1', kind: 'Secret' }, path: 'metadata', message: /is required/ },
    { name: 'bad name', doc: secret({ metadata: { name: 'Bad_Name' } }), path: 'metadata.name', message: /DNS-1123 subdomain/ },
  ];
  for (const tc of invalid) {
    it(`rejects ${tc.name} at its path, without the value`, () => {
      const r = parseCoreObject('Secret', tc.doc);
      if (!('issues' in r)) throw new Error('expected issues');
      const issue = r.issues.find((i) => i.path === tc.path);
      expect(issue, JSON.stringify(r.issues)).to.not.equal(undefined);
      expect(issue?.message).to.match(tc.message);
      expect(JSON.stringify(r.issues)).to.not.include('hunter2');
    });
  }
});
