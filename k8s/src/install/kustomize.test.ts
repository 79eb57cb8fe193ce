// The kustomize-subset reader and its transformers, without kubectl: the semantics it copies
// from kustomize (checked against kubectl in bundle.test.ts) and the failures it must not hide.
import { expect } from 'chai';
import { INSTALL_ERROR_CODES } from './errors.js';
import { buildKustomization, type FileSource } from './kustomize.js';
import { applyJsonPatch, legacySort, parseImage, setImages, setNamespace, type KObject } from './transforms.js';

/** An in-memory tree: paths ending in `/` are directories. */
function memFiles(tree: Record<string, string>): FileSource {
  const dirs = new Set<string>();
  for (const p of Object.keys(tree)) {
    const parts = p.split('/');
    for (let i = 1; i < parts.length; i++) dirs.add(parts.slice(0, i).join('/') || '/');
  }
  return {
    read: (p) => {
      const t = tree[p];
      if (t === undefined) throw new Error(`ENOENT ${p}`);
      return t;
    },
    isDirectory: (p) => dirs.has(p),
    exists: (p) => p in tree || dirs.has(p),
  };
}

const cm = (name: string, ns?: string): string => `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ${name}\n${ns ? `  namespace: ${ns}\n` : ''}data:\n  a: "1"\n`;

function expectCode(fn: () => unknown, code: string, message?: RegExp): void {
  try {
    fn();
  } catch (err) {
    expect((err as { code?: string }).code).to.equal(code);
    if (message) expect((err as Error).message).to.match(message);
    return;
  }
  expect.fail(`expected an error with code ${code}`);
}

describe('kustomize-subset reader', () => {
  it('builds nested kustomizations: resources, then patches, namespace, images', () => {
    const files = memFiles({
      '/r/base/kustomization.yaml': 'namespace: one\nresources:\n- cm.yaml\n- ../crds\nimages:\n- name: app\n  newTag: "2"\n',
      '/r/base/cm.yaml': `${cm('x')}---\napiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: d\nspec:\n  template:\n    spec:\n      containers:\n      - name: c\n        image: app\n`,
      '/r/crds/kustomization.yml': 'resources:\n- crd.yaml\n',
      '/r/crds/crd.yaml': 'apiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\nmetadata:\n  name: things.example.com\n',
      '/r/top/kustomization.yaml': 'resources:\n- ../base\npatches:\n- target:\n    kind: ConfigMap\n    name: x\n  patch: |-\n    - op: replace\n      path: /data/a\n      value: "2"\n',
    });
    const out = buildKustomization('/r/top', files);
    expect(out.map((o) => `${o.kind}/${o.metadata?.namespace ?? ''}`)).to.deep.equal(['ConfigMap/one', 'Deployment/one', 'CustomResourceDefinition/']);
    expect((out[0] as { data: { a: string } }).data.a).to.equal('2');
    expect(JSON.stringify(out[1])).to.include('"image":"app:2"');
  });

  const failures: { name: string; tree: Record<string, string>; code: string; message: RegExp }[] = [
    { name: 'a field it does not implement', tree: { '/k/kustomization.yaml': 'resources: []\ncommonLabels:\n  a: b\n' }, code: INSTALL_ERROR_CODES.unsupported, message: /commonLabels/ },
    { name: 'a strategic merge patch', tree: { '/k/kustomization.yaml': 'resources: [cm.yaml]\npatches:\n- target: {kind: ConfigMap}\n  patch: "data: {a: b}"\n', '/k/cm.yaml': cm('x') }, code: INSTALL_ERROR_CODES.unsupported, message: /strategic merge/ },
    { name: 'a patch whose target selects nothing', tree: { '/k/kustomization.yaml': 'resources: [cm.yaml]\npatches:\n- target: {kind: Secret}\n  patch: "[{op: remove, path: /data}]"\n', '/k/cm.yaml': cm('x') }, code: INSTALL_ERROR_CODES.invalid, message: /selects no object/ },
    { name: 'a patch path that does not exist', tree: { '/k/kustomization.yaml': 'resources: [cm.yaml]\npatches:\n- target: {kind: ConfigMap}\n  patch: "[{op: replace, path: /spec/x, value: 1}]"\n', '/k/cm.yaml': cm('x') }, code: INSTALL_ERROR_CODES.invalid, message: /no such path/ },
    { name: 'a resource file outside the root', tree: { '/k/kustomization.yaml': 'resources: [../cm.yaml]\n', '/cm.yaml': cm('x') }, code: INSTALL_ERROR_CODES.invalid, message: /not in or below/ },
    { name: 'a missing resource', tree: { '/k/kustomization.yaml': 'resources: [gone.yaml]\n' }, code: INSTALL_ERROR_CODES.invalid, message: /does not exist/ },
    { name: 'the same object twice', tree: { '/k/kustomization.yaml': 'resources: [a.yaml, b.yaml]\n', '/k/a.yaml': cm('x'), '/k/b.yaml': cm('x') }, code: INSTALL_ERROR_CODES.invalid, message: /included twice/ },
    { name: 'an overlay below the root it includes', tree: { '/k/kustomization.yaml': 'resources: [o]\n', '/k/o/kustomization.yaml': 'resources: [..]\n' }, code: INSTALL_ERROR_CODES.invalid, message: /cycle/ },
  ];
  for (const tc of failures) {
    it(`fails loudly on ${tc.name}`, () => expectCode(() => buildKustomization(Object.keys(tc.tree)[0]!.replace(/\/kustomization\.yaml$/, ''), memFiles(tc.tree)), tc.code, tc.message));
  }
});

describe('kustomize transformers', () => {
  it('namespace: namespaced objects move, the Namespace is renamed, cluster-scoped objects keep none', () => {
    const objs: KObject[] = [
      { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'old' } },
      { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRole', metadata: { name: 'r' } },
      { apiVersion: 'example.com/v1', kind: 'Widget', metadata: { name: 'w', namespace: 'old' } },
    ];
    const out = setNamespace(objs, 'new');
    expect(out.map((o) => [o.metadata?.name, o.metadata?.namespace])).to.deep.equal([['new', undefined], ['r', undefined], ['w', 'new']]);
    expect(objs[2]?.metadata?.namespace, 'input unchanged').to.equal('old');
  });

  it('namespace: a binding subject moves with a ServiceAccount of the bundle or when it is `default`, as kubectl does', () => {
    const binding: KObject = {
      apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRoleBinding', metadata: { name: 'b' },
      subjects: [
        { kind: 'ServiceAccount', name: 'sa', namespace: 'old' },
        { kind: 'ServiceAccount', name: 'stranger', namespace: 'old' },
        { kind: 'ServiceAccount', name: 'default', namespace: 'elsewhere' },
        { kind: 'User', name: 'sa', namespace: 'old' },
      ],
    };
    const out = setNamespace([{ apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'sa', namespace: 'old' } }, binding], 'new');
    expect((out[1] as { subjects: { namespace: string }[] }).subjects.map((s) => s.namespace)).to.deep.equal(['new', 'old', 'new', 'old']);
  });

  const images: { ref: string; want: ReturnType<typeof parseImage> }[] = [
    { ref: 'matrixinfer', want: { name: 'matrixinfer', tag: undefined, digest: undefined } },
    { ref: 'reg:5000/a/b:1.2', want: { name: 'reg:5000/a/b', tag: '1.2', digest: undefined } },
    { ref: 'reg:5000/a/b', want: { name: 'reg:5000/a/b', tag: undefined, digest: undefined } },
    { ref: 'b:1@sha256:00', want: { name: 'b', tag: '1', digest: 'sha256:00' } },
  ];
  for (const tc of images) it(`parses image ${tc.ref}`, () => expect(parseImage(tc.ref)).to.deep.equal(tc.want));

  it('images: rewrites containers and init containers whose image name matches, nothing else', () => {
    const pod: KObject = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p' }, spec: { initContainers: [{ image: 'app:1' }], containers: [{ image: 'app' }, { image: 'other:1' }] } };
    const out = setImages([pod], [{ name: 'app', newName: 'reg/app', newTag: '2' }]);
    expect(JSON.stringify(out[0])).to.equal(JSON.stringify({ ...pod, spec: { initContainers: [{ image: 'reg/app:2' }], containers: [{ image: 'reg/app:2' }, { image: 'other:1' }] } }));
  });

  it('JSON 6902: add (also `-`), replace, remove, test; only on the target', () => {
    const objs: KObject[] = [{ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'a' }, data: { x: '1' }, list: [1] }, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'b' } }];
    const out = applyJsonPatch(objs, { kind: 'ConfigMap', name: 'a' }, [
      { op: 'test', path: '/data/x', value: '1' }, { op: 'add', path: '/list/-', value: 2 }, { op: 'add', path: '/list/0', value: 0 },
      { op: 'replace', path: '/data/x', value: '2' }, { op: 'add', path: '/data/a~1b', value: 'slash' }, { op: 'remove', path: '/metadata/name' },
    ], 'test');
    expect(out[0]).to.deep.equal({ apiVersion: 'v1', kind: 'ConfigMap', metadata: {}, data: { x: '2', 'a/b': 'slash' }, list: [0, 1, 2] });
    expect(out[1]).to.equal(objs[1]);
    expectCode(() => applyJsonPatch(objs, { name: 'a' }, [{ op: 'test', path: '/data/x', value: '9' }], 'test'), INSTALL_ERROR_CODES.invalid, /test failed/);
  });

  it('legacy order: kinds by rank, webhook configurations last, then name', () => {
    const o = (kind: string, name: string): KObject => ({ apiVersion: 'v1', kind, metadata: { name } });
    const sorted = legacySort([o('ValidatingWebhookConfiguration', 'v'), o('Deployment', 'b'), o('Widget', 'w'), o('Deployment', 'a'), o('Namespace', 'n'), o('Service', 's')]);
    expect(sorted.map((x) => `${x.kind}/${x.metadata?.name}`)).to.deep.equal(['Namespace/n', 'Service/s', 'Deployment/a', 'Deployment/b', 'Widget/w', 'ValidatingWebhookConfiguration/v']);
  });
});

