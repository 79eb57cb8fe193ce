// Every manifest of the install bundle validates against the Kubernetes schema vendored from the
// client's models, and the validator catches unknown fields, wrong types and missing fields.
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { expect } from 'chai';
import { parseAllDocuments } from 'yaml';
import { renderInstallBundle } from '../bundle.js';
import { DEPLOY_DIR } from '../testing.js';
import { currentKubernetesSchema, loadKubernetesSchema } from './schema-file.js';
import { createManifestValidator } from './validate.js';

type Obj = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const validate = createManifestValidator(loadKubernetesSchema());

function yamlFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    if (statSync(p).isDirectory()) return yamlFiles(p);
    return /\.ya?ml$/.test(f) && !/^kustomization\.ya?ml$/.test(f) ? [p] : [];
  });
}

function deployment(): Obj {
  return structuredClone(renderInstallBundle({}).find((o) => o.kind === 'Deployment' && o.metadata?.name === 'mi-gateway')) as Obj;
}

describe('Kubernetes OpenAPI validation of the install bundle', () => {
  it('the vendored schema is what the installed client gives (re-run `node --import tsx k8s/src/install/openapi/vendor-schema.ts` when this fails)', () => {
    expect(readFileSync(new URL('./kubernetes-schema.json', import.meta.url), 'utf8') === currentKubernetesSchema()).to.equal(true);
    const s = loadKubernetesSchema();
    expect(s.source).to.match(/^@kubernetes\/client-node \S+ models \(Kubernetes OpenAPI spec v1\.\d+/);
    expect(Object.keys(s.definitions).length).to.be.greaterThan(100);
    expect(s.definitions.V1Container).to.include({ additionalProperties: false });
    expect(s.definitions.V1Container?.required).to.deep.equal(['name']);
  });

  for (const [name, opts] of [['k8s/deploy', {}], ['overlays/nats-cluster', { overlay: 'nats-cluster' }], ['--image and --namespace', { image: 'reg.example.com/matrixinfer:1', namespace: 'team-a' }]] as const) {
    it(`every object of ${name} validates`, () => {
      const objects = renderInstallBundle(opts);
      expect(objects.length).to.be.greaterThan(20);
      for (const o of objects) expect(validate(o), `${String(o.kind)}/${String(o.metadata?.name)}`).to.deep.equal([]);
    });
  }

  it('every manifest file under k8s/deploy validates on its own (patch files are lists, not objects)', () => {
    let checked = 0;
    for (const file of yamlFiles(DEPLOY_DIR)) {
      for (const doc of parseAllDocuments(readFileSync(file, 'utf8'))) {
        const o = doc.toJS() as unknown;
        if (o === null || Array.isArray(o)) continue;
        checked += 1;
        expect(validate(o as Obj), relative(DEPLOY_DIR, file)).to.deep.equal([]);
      }
    }
    expect(checked).to.be.greaterThan(15);
  });

  const broken: { name: string; mutate: (d: Obj) => void; where: string; message: RegExp }[] = [
    { name: 'an unknown container field (typo)', mutate: (d) => { d.spec.template.spec.containers[0].imagePullPolcy = 'Always'; }, where: '/spec/template/spec/containers/0', message: /unknown field "imagePullPolcy"/ },
    { name: 'an unknown top-level field', mutate: (d) => { d.specs = {}; }, where: '/', message: /unknown field "specs"/ },
    { name: 'replicas as a string', mutate: (d) => { d.spec.replicas = '2'; }, where: '/spec/replicas', message: /integer/ },
    { name: 'a probe port as a boolean', mutate: (d) => { d.spec.template.spec.containers[0].livenessProbe.httpGet.port = true; }, where: '/spec/template/spec/containers/0/livenessProbe/httpGet/port', message: /integer,string/ },
    { name: 'a container without a name', mutate: (d) => { delete d.spec.template.spec.containers[0].name; }, where: '/spec/template/spec/containers/0', message: /missing required field "name"/ },
    { name: 'a Deployment without a selector', mutate: (d) => { delete d.spec.selector; }, where: '/spec', message: /missing required field "selector"/ },
    { name: 'a label that is not a string', mutate: (d) => { d.metadata.labels.replicas = 2; }, where: '/metadata/labels/replicas', message: /string/ },
  ];
  for (const tc of broken) {
    it(`rejects ${tc.name}`, () => {
      const d = deployment();
      expect(validate(d)).to.deep.equal([]);
      tc.mutate(d);
      const problems = validate(d);
      expect(problems.some((p) => p.where === tc.where && tc.message.test(p.message)), JSON.stringify(problems)).to.equal(true);
    });
  }

  it('rejects an unknown keyword in a CRD schema and a kind it has no schema for', () => {
    const crd = structuredClone(renderInstallBundle({}).find((o) => o.kind === 'CustomResourceDefinition')) as Obj;
    crd.spec.versions[0].schema.openAPIV3Schema.properties.spec.requried = ['x'];
    expect(validate(crd).map((p) => p.message)).to.include('unknown field "requried"');
    expect(validate({ apiVersion: 'v1', kind: 'Pdo', metadata: { name: 'x' } })[0]?.message).to.match(/no schema for v1\/Pdo/);
  });
});
