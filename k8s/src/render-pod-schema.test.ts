// `mi render` of every MatrixInfer Model example gives ModelInfers whose Pod templates the
// Kubernetes API would accept: each role's entryTemplate and workerTemplate is validated as a
// PodTemplateSpec against the Kubernetes schema vendored under install/openapi (unknown fields,
// wrong types and missing required fields all fail).
import { expect } from 'chai';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { renderDocs, validateManifests } from '@matrixinfer/control-plane';
import { loadKubernetesSchema } from './install/openapi/schema-file.js';
import { createManifestValidator, type ManifestProblem } from './install/openapi/validate.js';

type Obj = Record<string, unknown>;

const MODEL_DIR = fileURLToPath(new URL('../../../shared/compat/matrixinfer/examples/model/', import.meta.url));
// The Qwen-Coder example misspells `replicas`; validation rejects it (tested in control-plane), so it renders fixed.
const TYPO = 'Qwen2.5-Coder-32B-Instruct.yaml';
const OWNER_UID = '6f1c2d3e-4b5a-4c7d-8e9f-0a1b2c3d4e5f';

const validateK8s = createManifestValidator(loadKubernetesSchema());

/**
 * Problems of one Pod template. The vendored schema covers whole objects by kind, so the template
 * goes in as a Deployment's spec.template, which the API types as a PodTemplateSpec.
 */
function podTemplateProblems(template: unknown): ManifestProblem[] {
  const labels = ((template as { metadata?: { labels?: Obj } })?.metadata?.labels ?? {}) as Obj;
  const holder = { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'holder' }, spec: { selector: { matchLabels: labels }, template } };
  return validateK8s(holder).map((p) => ({ ...p, where: p.where.replace(/^\/spec\/template/, '') || '/' }));
}

function renderExample(file: string): Obj[] {
  let text = readFileSync(join(MODEL_DIR, file), 'utf8');
  if (file === TYPO) text = text.replace('replicase:', 'replicas:');
  return renderDocs(validateManifests([{ text, source: file }]), { uid: OWNER_UID }) as unknown as Obj[];
}

describe('mi render of the MatrixInfer Model examples against the Kubernetes Pod schema', function () {
  this.timeout(20_000);
  before(function () {
    if (!existsSync(MODEL_DIR)) this.skip(); // the compat examples live beside the repository, not in it
  });

  it('the holder catches what the API server would refuse in a template', () => {
    const bad = { metadata: { labels: { a: 'b' } }, spec: { containers: [{ name: 'engine', image: 'x', port: 8000 }], restartPolicy: 1 } };
    const where = podTemplateProblems(bad).map((p) => `${p.where} ${p.message}`);
    expect(where).to.include('/spec/containers/0 unknown field "port"');
    expect(where.some((w) => w.startsWith('/spec/restartPolicy'))).to.equal(true);
    expect(podTemplateProblems({ spec: { containers: [{ image: 'x' }] } }).map((p) => p.message)).to.include('missing required field "name"');
  });

  const files = existsSync(MODEL_DIR) ? readdirSync(MODEL_DIR).filter((f) => /\.ya?ml$/.test(f)).sort() : [];
  for (const file of files) {
    it(`${file}: every role's entryTemplate and workerTemplate is a valid PodTemplateSpec`, () => {
      const infers = renderExample(file).filter((o) => o.kind === 'ModelInfer');
      expect(infers.length, file).to.be.greaterThan(0);
      let templates = 0;
      for (const mi of infers) {
        const roles = ((mi.spec as Obj).template as { roles: Obj[] }).roles;
        for (const role of roles) {
          for (const key of ['entryTemplate', 'workerTemplate']) {
            if (role[key] === undefined) continue;
            templates++;
            const where = `${String((mi.metadata as Obj).name)} role ${String(role.name)} ${key}`;
            expect(podTemplateProblems(role[key]), where).to.deep.equal([]);
          }
        }
      }
      expect(templates, file).to.be.greaterThan(0);
    });
  }
});
