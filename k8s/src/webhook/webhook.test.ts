import { expect } from 'chai';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import jsonpatch from 'fast-json-patch';
import { kubectl, kubectlPath } from '../testing/apiserver/kubectl.js';
import { startTestApiServer, type TestApiServer } from '../testing/apiserver/server.js';
import { ruleMatches, webhookAdmission } from '../testing/apiserver/webhook-caller.js';
import { answerReview } from './review.js';
import { crossResourceChecks } from './cross.js';
import type { WebhookServer } from './server.js';
import type { ObjectCache } from './cross.js';
import { installTestWebhook } from './testing.js';

const CRD_DIR = fileURLToPath(new URL('../../crds/', import.meta.url));

const model = (spec: Record<string, unknown>, name = 'm') => ({ apiVersion: 'registry.matrixinfer.ai/v1alpha1', kind: 'Model', metadata: { name, namespace: 'default' }, spec });
const backend = (extra: Record<string, unknown> = {}) => ({ name: 'b', type: 'vLLM', modelURI: 'hf://org/m', minReplicas: 1, maxReplicas: 2, workers: [{ type: 'server' }], ...extra });
const review = (object: unknown, operation = 'CREATE', kind = { group: 'registry.matrixinfer.ai', version: 'v1alpha1', kind: 'Model' }) => ({ apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview', request: { uid: 'u-1', kind, operation, name: 'm', namespace: 'default', object } });

describe('admission webhook: answerReview (pure)', () => {
  it('allows a valid Model, denies an invalid one with every problem as a field error', () => {
    const ok = answerReview('validate', review(model({ backends: [backend()] })));
    expect(ok.status === 200 && ok.body.response).to.deep.equal({ uid: 'u-1', allowed: true });
    const bad = answerReview('validate', review(model({ backends: [backend({ minReplicas: 3, maxReplicas: 1, workers: [{ type: 'server' }, { type: 'nonsense' }] })] })));
    if (bad.status !== 200) throw new Error('expected a review');
    const r = bad.body.response;
    expect(r.allowed).to.equal(false);
    expect(r.status).to.include({ code: 422, reason: 'Invalid' });
    expect(r.status!.message).to.match(/^Model\.registry\.matrixinfer\.ai "m" is invalid: /);
    const fields = r.status!.details!.causes.map((c) => c.field);
    expect(fields).to.include('spec.backends[0].workers[1].type');
    expect(fields.some((f) => /spec\.backends\[0\]\.(min|max)Replicas/.test(f)), fields.join()).to.equal(true);
    expect(r.status!.details!.causes.length).to.be.greaterThan(1);
  });

  it('mutating: a JSON Patch of the defaults under spec; applying it and asking again gives no patch', () => {
    const obj = model({ backends: [backend()] });
    const a = answerReview('mutate', review(obj));
    if (a.status !== 200) throw new Error('expected a review');
    expect(a.body.response).to.include({ allowed: true, patchType: 'JSONPatch' });
    const ops = JSON.parse(Buffer.from(a.body.response.patch!, 'base64').toString()) as jsonpatch.Operation[];
    expect(ops.every((o) => o.path.startsWith('/spec'))).to.equal(true);
    const patched = jsonpatch.applyPatch(structuredClone(obj), ops).newDocument as unknown as { spec: { backends: { routeWeight: number; workers: { replicas: number }[] }[] } };
    expect(patched.spec.backends[0].routeWeight).to.equal(100);
    expect(patched.spec.backends[0].workers[0].replicas).to.equal(1);
    const again = answerReview('mutate', review(patched));
    expect(again.status === 200 && again.body.response).to.deep.equal({ uid: 'u-1', allowed: true });
  });

  it('other kinds and DELETE pass; malformed reviews are 400s, never exceptions', () => {
    expect(answerReview('validate', review({ kind: 'Pod' }, 'CREATE', { group: '', version: 'v1', kind: 'Pod' })).status).to.equal(200);
    expect(answerReview('validate', review(undefined, 'DELETE')).status).to.equal(200);
    const bodies: unknown[] = [null, 1, 'x', [], {}, { apiVersion: 'admission.k8s.io/v1' }, { apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview' }, { apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview', request: { uid: 7 } }, { apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview', request: { uid: 'u', kind: 'Model', operation: 'CREATE' } }, { ...review(model({})), request: { ...review(model({})).request, object: [1] } }];
    for (const b of bodies) expect(answerReview('validate', b).status, JSON.stringify(b)).to.equal(400);
    // Deep and odd objects get a verdict, not a stack overflow.
    let deep: Record<string, unknown> = {};
    const root = deep;
    for (let i = 0; i < 5000; i++) deep = (deep.x = {}) as Record<string, unknown>;
    const a = answerReview('validate', review(model({ backends: [backend({ extra: root })] })));
    expect(a.status === 400 && a.message).to.match(/nested deeper than 200 levels/);
  });

  it('UPDATE: an immutable field changed is denied with the field named; other changes pass', () => {
    const kind = { group: 'networking.matrixinfer.ai', version: 'v1alpha1', kind: 'ModelRoute' };
    const route = (modelName: string, server = 's') => ({ apiVersion: 'networking.matrixinfer.ai/v1alpha1', kind: 'ModelRoute', metadata: { name: 'r', namespace: 'default' }, spec: { modelName, rules: [{ name: 'all', targetModels: [{ modelServerName: server }] }] } });
    const update = (old: unknown, now: unknown) => {
      const r = review(now, 'UPDATE', kind);
      return { ...r, request: { ...r.request, oldObject: old } };
    };
    const denied = answerReview('validate', update(route('a'), route('b')));
    if (denied.status !== 200) throw new Error('expected a review');
    expect(denied.body.response.allowed).to.equal(false);
    expect(denied.body.response.status!.details!.causes.map((c) => c.field)).to.deep.equal(['spec.modelName']);
    expect(denied.body.response.status!.message).to.contain('spec.modelName: is immutable (was "a", now "b")');
    const other = answerReview('validate', update(route('a'), route('a', 't')));
    expect(other.status === 200 && other.body.response.allowed).to.equal(true);
    // CREATE has nothing to compare with.
    expect((answerReview('validate', review(route('b'), 'CREATE', kind)) as { body: { response: { allowed: boolean } } }).body.response.allowed).to.equal(true);
  });

  it('fixture rules match as kube-apiserver does', () => {
    const attrs = { operation: 'CREATE' as const, resource: { group: 'registry.matrixinfer.ai', version: 'v1alpha1', resource: 'models' }, subResource: '', namespace: 'default' };
    expect(ruleMatches({ operations: ['CREATE', 'UPDATE'], apiGroups: ['registry.matrixinfer.ai'], apiVersions: ['*'], resources: ['models'] }, attrs)).to.equal(true);
    expect(ruleMatches({ operations: ['UPDATE'], apiGroups: ['*'], apiVersions: ['*'], resources: ['*'] }, attrs)).to.equal(false);
    expect(ruleMatches({ operations: ['*'], apiGroups: ['*'], apiVersions: ['*'], resources: ['models'] }, { ...attrs, subResource: 'status' })).to.equal(false);
    expect(ruleMatches({ operations: ['*'], apiGroups: ['*'], apiVersions: ['*'], resources: ['models/status'] }, { ...attrs, subResource: 'status' })).to.equal(true);
    expect(ruleMatches({ operations: ['*'], apiGroups: ['*'], apiVersions: ['*'], resources: ['*'], scope: 'Cluster' }, attrs)).to.equal(false);
  });
});

describe('admission webhook: cross-resource checks (pure)', () => {
  const objs: Record<string, Record<string, unknown>[]> = {
    AutoscalingPolicy: [{ metadata: { name: 'p', namespace: 'default' } }],
    ModelInfer: [{ metadata: { name: 'a', namespace: 'default' } }, { metadata: { name: 'b', namespace: 'default' } }],
    AutoscalingPolicyBinding: [{ metadata: { name: 'taken', namespace: 'default' }, spec: { policyRef: { name: 'p' }, scalingConfiguration: { target: { targetRef: { name: 'b' } } } } }],
    ModelServer: [],
  };
  const cache = {
    get: (k: string, ns: string, n: string) => (objs[k] ?? []).find((o) => (o.metadata as { name: string }).name === n && ns === 'default'),
    list: (k: string, ns: string) => (ns === 'default' ? objs[k] ?? [] : []),
  };
  const binding = (name: string, policy: string, targets: string[]) => ({ metadata: { name, namespace: 'default' }, spec: { policyRef: { name: policy }, optimizerConfiguration: { params: targets.map((t) => ({ target: { targetRef: { name: t } }, maxReplicas: 2 })) } } });
  it('binding: policy and targets must exist, a target is bound once (the binding itself may be updated)', () => {
    expect(crossResourceChecks('AutoscalingPolicyBinding', binding('new', 'p', ['a']), cache)).to.deep.equal({ denials: [], warnings: [] });
    const r = crossResourceChecks('AutoscalingPolicyBinding', binding('new', 'missing', ['a', 'nope', 'b']), cache);
    expect(r.denials.map((d) => d.path)).to.deep.equal(['spec.policyRef.name', 'spec.optimizerConfiguration.params[1].target.targetRef.name', 'spec.optimizerConfiguration.params[2].target.targetRef.name']);
    expect(r.denials[2].message).to.match(/already scaled by AutoscalingPolicyBinding "taken"/);
    expect(crossResourceChecks('AutoscalingPolicyBinding', { ...objs.AutoscalingPolicyBinding[0] }, cache).denials).to.deep.equal([]);
  });
  it('server: a selector no ModelInfer role can satisfy is a warning; runtime labels match anything', () => {
    const withRoles = { ...cache, list: (k: string, ns: string) => (k === 'ModelInfer' ? [{ metadata: { name: 'a', namespace: 'default' }, spec: { template: { roles: [{ name: 'server', entryTemplate: { metadata: { labels: { app: 'x' } } } }] } } }] : cache.list(k, ns)) };
    const server = (matchLabels: Record<string, string>) => ({ metadata: { name: 's', namespace: 'default' }, spec: { workloadSelector: { matchLabels } } });
    expect(crossResourceChecks('ModelServer', server({ 'modelinfer.matrixinfer.ai/name': 'a' }), withRoles).warnings).to.deep.equal([]);
    expect(crossResourceChecks('ModelServer', server({ app: 'x', 'modelinfer.matrixinfer.ai/revision': 'any' }), withRoles).warnings).to.deep.equal([]);
    const w = crossResourceChecks('ModelServer', server({ app: 'other' }), withRoles);
    expect(w.denials).to.deep.equal([]);
    expect(w.warnings[0]).to.match(/^spec\.workloadSelector\.matchLabels: no ModelInfer in namespace default makes instances with these labels/);
  });

  it('route: a missing ModelServer is a warning, not a denial', () => {
    const r = crossResourceChecks('ModelRoute', { metadata: { name: 'r', namespace: 'default' }, spec: { rules: [{ name: 'x', targetModels: [{ modelServerName: 'ghost' }] }] } }, cache);
    expect(r.denials).to.deep.equal([]);
    expect(r.warnings[0]).to.match(/^spec\.rules\[0\]\.targetModels\[0\]\.modelServerName: ModelServer "ghost" does not exist/);
  });
});

describe('admission webhook over HTTPS, called by the test API server, driven with real kubectl', function () {
  this.timeout(60_000);
  let api: TestApiServer;
  let hook: WebhookServer & { cache: ObjectCache };
  before(async function () {
    if (!kubectlPath()) this.skip();
    api = await startTestApiServer({ crds: readdirSync(CRD_DIR).filter((f) => f.endsWith('.yaml')).map((f) => join(CRD_DIR, f)), namespaces: ['default'], admission: webhookAdmission });
    hook = await installTestWebhook(api);
  });
  after(async () => {
    await api?.stop();
    await hook?.close();
  });
  const yaml = (minReplicas: number, maxReplicas: number, workerType = 'server') =>
    `apiVersion: registry.matrixinfer.ai/v1alpha1\nkind: Model\nmetadata: { name: llama }\nspec:\n  backends:\n  - { name: b, type: vLLM, modelURI: "hf://org/m", minReplicas: ${minReplicas}, maxReplicas: ${maxReplicas}, workers: [{ type: ${workerType} }] }\n`;

  it('kubectl apply of a bad Model prints our message with the field path; nothing is stored', async () => {
    // A rule the CRD schema cannot express: worker types per backend type.
    const r = await kubectl(api, ['apply', '-n', 'default', '-f', '-'], { input: yaml(1, 2, 'prefill') });
    expect(r.code).to.not.equal(0);
    expect(r.stderr).to.match(/admission webhook "validate\.matrixinfer\.ai" denied the request: Model\.registry\.matrixinfer\.ai "llama" is invalid: spec\.backends\[0\]\S*: backend type vLLM runs "server" workers only/);
    expect((await kubectl(api, ['get', 'model', 'llama', '-n', 'default'])).code).to.not.equal(0);
  });

  it('a namespaceSelector on the configuration is honoured: a namespace it excludes skips the webhook', async () => {
    const ns = await kubectl(api, ['apply', '-f', '-'], { input: 'apiVersion: v1\nkind: Namespace\nmetadata: { name: sandbox, labels: { matrixinfer.ai/admission: skip } }\n' });
    expect(ns.code, ns.stderr).to.equal(0);
    const selector = { matchExpressions: [{ key: 'matrixinfer.ai/admission', operator: 'NotIn', values: ['skip'] }] };
    const patch = JSON.stringify([{ op: 'add', path: '/webhooks/0/namespaceSelector', value: selector }]);
    const p = await kubectl(api, ['patch', 'validatingwebhookconfiguration', 'matrixinfer', '--type', 'json', '-p', patch]);
    expect(p.code, p.stderr).to.equal(0);
    try {
      // The same bad Model: denied in default, admitted in the excluded namespace.
      expect((await kubectl(api, ['apply', '-n', 'default', '-f', '-'], { input: yaml(1, 2, 'prefill') })).code).to.not.equal(0);
      const skipped = await kubectl(api, ['apply', '-n', 'sandbox', '-f', '-'], { input: yaml(1, 2, 'prefill') });
      expect(skipped.code, skipped.stderr).to.equal(0);
    } finally {
      await kubectl(api, ['patch', 'validatingwebhookconfiguration', 'matrixinfer', '--type', 'json', '-p', JSON.stringify([{ op: 'remove', path: '/webhooks/0/namespaceSelector' }])]);
      await kubectl(api, ['delete', 'model', 'llama', '-n', 'sandbox', '--ignore-not-found']);
    }
  });

  it('a valid Model is stored with its defaults filled in; applying it again changes nothing', async () => {
    const r = await kubectl(api, ['apply', '-n', 'default', '-f', '-'], { input: yaml(1, 2) });
    expect(r.code, r.stderr).to.equal(0);
    const stored = JSON.parse((await kubectl(api, ['get', 'model', 'llama', '-n', 'default', '-o', 'json'])).stdout) as { metadata: { resourceVersion: string }; spec: { backends: { routeWeight?: number; scaleToZeroGracePeriod?: string; workers: { replicas?: number }[] }[] } };
    expect(stored.spec.backends[0]).to.include({ routeWeight: 100, scaleToZeroGracePeriod: '30s' });
    expect(stored.spec.backends[0].workers[0].replicas).to.equal(1);
    const again = await kubectl(api, ['apply', '-n', 'default', '-f', '-'], { input: yaml(1, 2) });
    expect(again.code, again.stderr).to.equal(0);
    const after = JSON.parse((await kubectl(api, ['get', 'model', 'llama', '-n', 'default', '-o', 'json'])).stdout) as { metadata: { resourceVersion: string } };
    expect(after.metadata.resourceVersion).to.equal(stored.metadata.resourceVersion);
  });

  it('cross-resource: a binding to a missing policy is denied by kubectl with the path; a route to a missing server applies with a warning', async () => {
    const b = (policy: string) => `apiVersion: registry.matrixinfer.ai/v1alpha1\nkind: AutoscalingPolicyBinding\nmetadata: { name: bind }\nspec:\n  policyRef: { name: ${policy} }\n  scalingConfiguration: { target: { targetRef: { kind: ModelInfer, name: plain } }, minReplicas: 1, maxReplicas: 2 }\n`;
    const denied = await kubectl(api, ['apply', '-n', 'default', '-f', '-'], { input: b('nope') });
    expect(denied.code).to.not.equal(0);
    expect(denied.stderr).to.match(/denied the request: AutoscalingPolicyBinding\.registry\.matrixinfer\.ai "bind" is invalid: spec\.policyRef\.name: AutoscalingPolicy "nope" does not exist/);
    const route = 'apiVersion: networking.matrixinfer.ai/v1alpha1\nkind: ModelRoute\nmetadata: { name: r }\nspec:\n  modelName: m\n  rules: [{ name: all, targetModels: [{ modelServerName: ghost }] }]\n';
    const warned = await kubectl(api, ['apply', '-n', 'default', '-f', '-'], { input: route });
    expect(warned.code, warned.stderr).to.equal(0);
    expect(warned.stderr).to.match(/Warning: spec\.rules\[0\]\.targetModels\[0\]\.modelServerName: ModelServer "ghost" does not exist/);
    // The stored route's modelName is immutable: kubectl shows the field and both values.
    const renamed = await kubectl(api, ['apply', '-n', 'default', '-f', '-'], { input: route.replace('modelName: m', 'modelName: m2') });
    expect(renamed.code).to.not.equal(0);
    expect(renamed.stderr).to.match(/ModelRoute\.networking\.matrixinfer\.ai "r" is invalid: spec\.modelName: is immutable \(was "m", now "m2"\)/);
  });

  it('deleting a policy a binding still uses is refused, naming the binding; once the binding is gone it goes', async () => {
    const objs = [
      'apiVersion: registry.matrixinfer.ai/v1alpha1\nkind: AutoscalingPolicy\nmetadata: { name: used }\nspec: { metrics: [{ metricName: gateway_in_flight, targetValue: 2 }] }\n',
      'apiVersion: workload.matrixinfer.ai/v1alpha1\nkind: ModelInfer\nmetadata: { name: scaled }\nspec: { replicas: 1, template: { roles: [{ name: server, replicas: 1, entryTemplate: { spec: { containers: [{ name: e, image: "x:1" }] } } }] } }\n',
      'apiVersion: registry.matrixinfer.ai/v1alpha1\nkind: AutoscalingPolicyBinding\nmetadata: { name: uses }\nspec:\n  policyRef: { name: used }\n  scalingConfiguration: { target: { targetRef: { kind: ModelInfer, name: scaled } }, minReplicas: 1, maxReplicas: 2 }\n',
    ];
    // The cache follows the API server: each object is applied once the previous one is in it.
    for (const y of objs) {
      let r = await kubectl(api, ['apply', '-n', 'default', '-f', '-'], { input: y });
      for (let i = 0; r.code !== 0 && i < 40; i++) {
        await new Promise((res) => setTimeout(res, 50));
        r = await kubectl(api, ['apply', '-n', 'default', '-f', '-'], { input: y });
      }
      expect(r.code, r.stderr).to.equal(0);
    }
    for (let i = 0; hook.cache.get('AutoscalingPolicyBinding', 'default', 'uses') === undefined && i < 100; i++) await new Promise((res) => setTimeout(res, 20));
    const refused = await kubectl(api, ['delete', 'autoscalingpolicy', 'used', '-n', 'default']);
    expect(refused.code).to.not.equal(0);
    expect(refused.stderr).to.match(/AutoscalingPolicy "used" is used by AutoscalingPolicyBinding "uses"; delete or change those first/);
    expect((await kubectl(api, ['delete', 'autoscalingpolicybinding', 'uses', '-n', 'default'])).code).to.equal(0);
    let gone = await kubectl(api, ['delete', 'autoscalingpolicy', 'used', '-n', 'default']);
    for (let i = 0; gone.code !== 0 && i < 40; i++) {
      await new Promise((res) => setTimeout(res, 50));
      gone = await kubectl(api, ['delete', 'autoscalingpolicy', 'used', '-n', 'default']);
    }
    expect(gone.code, gone.stderr).to.equal(0);
  });

  it('mi webhook (the CLI): serves with a generated certificate whose caBundle the client trusts', async () => {
    const { runK8sCli } = await import('../cli/mi-k8s.js');
    const { PassThrough } = await import('node:stream');
    const stop = new AbortController();
    const c = { out: [] as string[], err: [] as string[] };
    const io = { out: (t: string) => void c.out.push(t), err: (t: string) => void c.err.push(t), stdin: new PassThrough(), env: {}, nowMs: () => Date.now(), stop: stop.signal };
    const done = runK8sCli(['webhook', '--port', '0', '--host', '127.0.0.1', '--dns-name', 'localhost', '--no-cross-checks', '--log-level', 'error'], io);
    const deadline = Date.now() + 20_000;
    while (c.out.length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    const line = JSON.parse(c.out[0]) as { webhook: string; caBundle: string };
    const { request } = await import('node:https');
    const status = await new Promise<number>((resolve, reject) => {
      const req = request(`${line.webhook}/healthz`, { ca: Buffer.from(line.caBundle, 'base64').toString() }, (res) => (res.resume(), resolve(res.statusCode ?? 0)));
      req.on('error', reject);
      req.end();
    });
    expect(status).to.equal(200);
    stop.abort();
    expect(await done).to.equal(0);
  });
});
