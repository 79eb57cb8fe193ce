import { V1CustomResourceDefinition } from '@kubernetes/client-node';
import { ObjectSerializer } from '@kubernetes/client-node/dist/serializer.js';
import { KINDS, parseDocuments } from '@matrixinfer/schemas';
import { expect } from 'chai';
import { readdirSync, readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { crdFileName, renderAllCrds } from './crd-build.js';
import { prunedPaths, structuralViolations } from './crd-check.js';

const crdDir = new URL('../crds/', import.meta.url);
const exampleDir = new URL('../../examples/resources/', import.meta.url);

function loadCrd(file: string): { text: string; raw: Record<string, unknown>; crd: V1CustomResourceDefinition } {
  const text = readFileSync(new URL(file, crdDir), 'utf8');
  const raw = parse(text) as Record<string, unknown>;
  const crd = ObjectSerializer.deserialize(raw, 'V1CustomResourceDefinition') as V1CustomResourceDefinition;
  return { text, raw, crd };
}

describe('generated CRDs', () => {
  it('k8s/crds/ is current (run `npm run generate -w k8s` when this fails)', () => {
    const expected = renderAllCrds();
    const onDisk = readdirSync(crdDir).filter((f) => f.endsWith('.yaml')).sort();
    expect(onDisk).to.deep.equal([...expected.keys()].sort());
    for (const [file, text] of expected) {
      expect(readFileSync(new URL(file, crdDir), 'utf8') === text, `${file} is stale: run \`npm run generate -w k8s\``).to.equal(true);
    }
  });

  for (const info of KINDS) {
    describe(info.kind, () => {
      const file = crdFileName(info);

      it('deserializes as a V1CustomResourceDefinition without losing a field', () => {
        const { raw, crd } = loadCrd(file);
        expect(crd).to.be.instanceOf(V1CustomResourceDefinition);
        expect(crd.apiVersion).to.equal('apiextensions.k8s.io/v1');
        // The serializer drops what the Kubernetes model does not know: a round trip that
        // equals the file means every field (outside schema `items`) is a real CRD field.
        const back: unknown = JSON.parse(JSON.stringify(ObjectSerializer.serialize(crd, 'V1CustomResourceDefinition')));
        expect(back).to.deep.equal(raw);
      });

      it('has the names, subresources and columns of the kind registry', () => {
        const { crd } = loadCrd(file);
        expect(crd.metadata?.name).to.equal(`${info.plural}.${info.group}`);
        expect(crd.spec.group).to.equal(info.group);
        expect(crd.spec.scope).to.equal('Namespaced');
        expect(crd.spec.names).to.include({ kind: info.kind, plural: info.plural, singular: info.singular, listKind: info.listKind });
        expect(crd.spec.names.shortNames).to.deep.equal([...info.shortNames]);
        const [version] = crd.spec.versions;
        expect(crd.spec.versions).to.have.length(1);
        expect(version).to.include({ name: 'v1alpha1', served: true, storage: true });
        expect(version.subresources?.status).to.deep.equal({});
        expect(version.additionalPrinterColumns?.map((c) => c.name)).to.include('Age');
        if (info.kind === 'ModelInfer') {
          expect(version.subresources?.scale).to.deep.equal({
            specReplicasPath: '.spec.replicas',
            statusReplicasPath: '.status.replicas',
            labelSelectorPath: '.status.labelSelector',
          });
        } else {
          expect(version.subresources?.scale).to.equal(undefined);
        }
      });

      it('has a structural schema', () => {
        const { raw } = loadCrd(file);
        const version = ((raw.spec as Record<string, unknown>).versions as Array<Record<string, unknown>>)[0];
        const schema = (version.schema as Record<string, unknown>).openAPIV3Schema;
        expect(structuralViolations(schema)).to.deep.equal([]);
      });

      it('keeps every field of the examples (nothing pruned)', () => {
        const { crd } = loadCrd(file);
        const schema = ObjectSerializer.serialize(crd, 'V1CustomResourceDefinition').spec.versions[0].schema.openAPIV3Schema;
        const examples = readdirSync(exampleDir)
          .flatMap((f) => parseDocuments(readFileSync(new URL(f, exampleDir), 'utf8'), f))
          .filter((d) => (d.doc as { kind?: string }).kind === info.kind);
        expect(examples.length).to.be.greaterThan(0);
        for (const ex of examples) expect(prunedPaths(ex.doc, schema), ex.source).to.deep.equal([]);
      });
    });
  }

  it('carries the cross-field rules Kubernetes can check itself (CEL)', () => {
    const text = [...renderAllCrds().values()].join('\n');
    expect(text).to.contain('has(self.scalingConfiguration) != has(self.optimizerConfiguration)');
    expect(text).to.contain('self.targetModels.all(t, has(t.weight)) || self.targetModels.all(t, !has(t.weight))');
    expect(text.match(/self.minReplicas <= self.maxReplicas/g)).to.have.length(3);
  });

  describe('structural checker', () => {
    const cases: Array<{ name: string; schema: unknown; want: string }> = [
      { name: 'untyped node', schema: { type: 'object', properties: { a: { description: 'x' } } }, want: 'properties.a: has no type' },
      { name: '$ref left in', schema: { type: 'object', properties: { a: { $ref: '#/definitions/A' } } }, want: '$ref is not allowed' },
      { name: 'anyOf without int-or-string', schema: { anyOf: [{ type: 'string' }], type: 'string' }, want: 'anyOf without x-kubernetes-int-or-string' },
      { name: 'additionalProperties false', schema: { type: 'object', additionalProperties: false }, want: 'additionalProperties false' },
      { name: 'list-map key not required', schema: { type: 'array', 'x-kubernetes-list-map-keys': ['name'], items: { type: 'object' } }, want: 'must be required' },
    ];
    for (const tc of cases) {
      it(`flags ${tc.name}`, () => {
        expect(structuralViolations(tc.schema).join('\n')).to.contain(tc.want);
      });
    }

    it('reports fields pruning would drop', () => {
      const schema = { type: 'object', properties: { spec: { type: 'object', properties: { a: { type: 'string' } } } } };
      expect(prunedPaths({ metadata: { name: 'n' }, spec: { a: 'x', b: 1 }, c: 2 }, schema)).to.deep.equal(['spec.b', 'c']);
    });
  });
});
