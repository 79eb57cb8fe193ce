// `mi render` on MatrixInfer's own examples: every derived object validates against our schemas,
// the Pod templates are well formed, what it prints is what the controller derives.
import { expect } from 'chai';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { createResourceValidator } from '@matrixinfer/schemas';
import { validateManifests } from '../../api/service.js';
import { expandModel } from '../../controllers/model/expand.js';
import type { AnyResource, Container, Model, ModelInfer, PodTemplate } from '../../controllers/types.js';
import { runMi } from '../mi.js';
import { captureIO, REPO_ROOT } from '../testing.js';

// MatrixInfer's examples live beside the repository (../shared/compat/matrixinfer), not in it.
const COMPAT_DIR = join(REPO_ROOT, '..', 'shared', 'compat', 'matrixinfer', 'examples');
const EXAMPLES = existsSync(join(COMPAT_DIR, 'model')) ? COMPAT_DIR : undefined;
// The Qwen-Coder example misspells `replicas` (`replicase`); MatrixInfer's own API would prune it.
const TYPO = 'Qwen2.5-Coder-32B-Instruct.yaml';
const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

async function render(args: string[], stdinText?: string): Promise<{ code: number; out: string[]; err: string[] }> {
  const c = captureIO({ stdinText });
  const code = await runMi(['render', ...args], c.io);
  return { code, out: c.out, err: c.err };
}

function docsOf(out: string[]): AnyResource[] {
  return parseAllDocuments(out.join('\n')).map((d) => d.toJS() as AnyResource);
}

/** Structural checks of a Pod template (what the kube-apiserver would refuse first). */
function expectPodTemplate(t: PodTemplate | undefined, where: string): void {
  expect(t, where).to.be.an('object');
  const spec = t!.spec as PodTemplate['spec'] & { initContainers?: Container[]; volumes?: { name: string }[] };
  expect(spec.containers, `${where}: containers`).to.be.an('array').with.length.above(0);
  const volumes = new Set((spec.volumes ?? []).map((v) => v.name));
  for (const c of [...(spec.initContainers ?? []), ...spec.containers] as (Container & Record<string, unknown>)[]) {
    expect(c.name, `${where}: container name`).to.match(DNS_LABEL);
    expect(c.image, `${where}/${c.name}: image`).to.be.a('string').and.not.equal('');
    for (const p of c.ports ?? []) expect(p.containerPort, `${where}/${c.name}: port`).to.be.within(1, 65535);
    for (const probe of ['readinessProbe', 'startupProbe', 'livenessProbe']) {
      const pr = c[probe] as { httpGet?: { path: string; port: unknown } } | undefined;
      if (!pr) continue;
      expect(pr.httpGet?.path, `${where}/${c.name}: ${probe}`).to.equal('/health');
      expect((c.ports ?? []).map((p) => p.name), `${where}/${c.name}: ${probe} names a declared port`).to.include(pr.httpGet?.port);
    }
    for (const m of (c.volumeMounts ?? []) as { name: string }[]) expect(volumes, `${where}/${c.name}: mount ${m.name}`).to.include(m.name);
    for (const e of c.env ?? []) expect(e.name, `${where}/${c.name}: env`).to.be.a('string').and.not.equal('');
  }
}

describe('mi render', function () {
  this.timeout(20_000);
  const validator = createResourceValidator();
  let dir: string;
  before(function () {
    if (!EXAMPLES) this.skip(); // the MatrixInfer compat examples live outside the repository, beside it
    dir = mkdtempSync(join(tmpdir(), 'mi-render-'));
  });
  after(() => dir && rmSync(dir, { recursive: true, force: true }));

  const modelFiles = () => readdirSync(join(EXAMPLES!, 'model')).filter((f) => f.endsWith('.yaml')).sort();

  it('renders every MatrixInfer Model example into children that validate, with well-formed Pod templates', async () => {
    const files = modelFiles();
    expect(files.length).to.be.greaterThan(1);
    for (const f of files) {
      const path = join(EXAMPLES!, 'model', f);
      const args = ['-f', path, '--uid', '0b6e4a8e-1f7c-4f1e-9d41-3c1b2a9e7f00'];
      if (f === TYPO) {
        writeFileSync(join(dir, f), readFileSync(path, 'utf8').replace('replicase:', 'replicas:'));
        args[1] = join(dir, f);
      }
      const r = await render(args);
      expect(r.code, `${f}: ${r.err.join('\n')}`).to.equal(0);
      const children = docsOf(r.out);
      expect(children.map((c) => c.kind), f).to.include.members(['ModelInfer', 'ModelServer', 'ModelRoute']);
      for (const child of children) {
        const v = validator.validate(child);
        expect(v.ok, `${f} ${child.kind}/${child.metadata.name}: ${JSON.stringify(v.ok ? [] : v.errors)}`).to.equal(true);
        expect(child.metadata.ownerReferences?.[0]).to.include({ kind: 'Model', uid: args[3], controller: true, blockOwnerDeletion: true });
        for (const l of ['model-name', 'model-uid', 'revision']) expect(child.metadata.labels, `${f} ${child.kind}`).to.have.property(`registry.matrixinfer.ai/${l}`);
        if (child.kind !== 'ModelInfer') continue;
        for (const role of (child as ModelInfer).spec.template.roles) {
          expectPodTemplate(role.entryTemplate, `${f} ${role.name} entry`);
          if (role.workerTemplate) expectPodTemplate(role.workerTemplate, `${f} ${role.name} worker`);
          const engine = role.entryTemplate.spec.containers[0];
          expect(engine.command?.[0], `${f}: a real engine, not the simulator`).to.equal('vllm');
          expect((role.entryTemplate.spec as { initContainers?: Container[] }).initContainers?.[0].command).to.deep.equal(['mi', 'download']);
        }
      }
    }
  });

  it('the Qwen-Coder example: the typo is rejected; fixed, envFrom and the extended resource reach the engine', async () => {
    const bad = await render(['-f', join(EXAMPLES!, 'model', TYPO)]);
    expect(bad.code).to.equal(1);
    expect(bad.out).to.deep.equal([]);
    expect(bad.err.join('\n')).to.contain('replicase');
    writeFileSync(join(dir, 'coder.yaml'), readFileSync(join(EXAMPLES!, 'model', TYPO), 'utf8').replace('replicase:', 'replicas:'));
    const mi = docsOf((await render(['-f', join(dir, 'coder.yaml')])).out)[0] as ModelInfer;
    const c = mi.spec.template.roles[0].entryTemplate.spec.containers[0] as Container & Record<string, unknown>;
    expect(c.envFrom).to.deep.equal([{ secretRef: { name: 'your-secrets' } }]);
    expect(c.resources?.limits).to.include({ 'huawei.com/ascend-1980': '2' });
    expect(c.env).to.deep.include({ name: 'RUNTIME_PORT', value: '8200' });
  });

  it('prints exactly what the controller derives from the stored Model', async () => {
    const path = join(EXAMPLES!, 'model', 'Qwen2.5-0.5B-Instruct.yaml');
    const [doc] = validateManifests([{ text: readFileSync(path, 'utf8'), source: path }]);
    const uid = '11111111-2222-3333-4444-555555555555';
    const r = await render(['-f', path, '-o', 'json', '--uid', uid]);
    expect(r.code).to.equal(0);
    (doc.resource.metadata as { uid?: string }).uid = uid;
    const list = JSON.parse(r.out.join('\n')) as { apiVersion: string; kind: string; items: AnyResource[] };
    expect([list.apiVersion, list.kind]).to.deep.equal(['v1', 'List']);
    expect(list.items).to.deep.equal(JSON.parse(JSON.stringify(expandModel(doc.resource as unknown as Model))));
  });

  it('passes other MatrixInfer kinds through as they would be stored', async () => {
    const path = join(EXAMPLES!, 'infer-gateway', 'ModelServer-ds1.5b.yaml');
    const [doc] = validateManifests([{ text: readFileSync(path, 'utf8'), source: path }]);
    const r = await render(['-f', path]);
    expect(r.code, r.err.join('\n')).to.equal(0);
    expect(docsOf(r.out)).to.deep.equal([JSON.parse(JSON.stringify(doc.resource))]);
  });

  const MODEL = `apiVersion: registry.matrixinfer.ai/v1alpha1
kind: Model
metadata: {name: m}
spec:
  backends:
    - {name: b, type: vLLM, modelURI: hf://org/m, maxReplicas: 2, workers: [{type: server}, {type: server}]}
`;

  it('a Model the controller cannot expand fails like mi apply: path, reason, exit 1, nothing printed', async () => {
    const r = await render(['-f', '-'], MODEL);
    expect(r.code).to.equal(1);
    expect(r.out).to.deep.equal([]);
    expect(r.err[0]).to.match(/^-#0 Model\/m: spec\.backends: .*workers must be one 'server'/);
  });

  it('--uid becomes the owner uid of a Model without one; without it no ownerReferences, still valid, and a note', async () => {
    const ok = MODEL.replace('[{type: server}, {type: server}]', '[{type: server}]');
    const withUid = await render(['-f', '-', '--uid', '1234-abcd'], ok);
    expect(withUid.err).to.deep.equal([]);
    for (const c of docsOf(withUid.out)) expect(c.metadata.ownerReferences?.[0].uid).to.equal('1234-abcd');
    const without = await render(['-f', '-'], ok);
    expect(without.err.join('\n')).to.contain('model/m has no metadata.uid');
    for (const c of docsOf(without.out)) {
      expect(c.metadata).to.not.have.property('ownerReferences');
      const v = validator.validate(c);
      expect(v.ok, JSON.stringify(v.ok ? [] : v.errors)).to.equal(true);
    }
  });

  it('refuses an unknown output format', async () => {
    expect((await render(['-f', '-', '-o', 'table'], MODEL)).code).to.equal(1);
  });
});
