// k8s/deploy renders with real kubectl (kustomize built in) into the objects the issue asks for.
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'chai';
import { renderAllCrds } from '../crd-build.js';
import { CRD_KUSTOMIZATION_FILE, renderCrdKustomization } from './crd-kustomization.js';
import { DEPLOY_DIR, kubectlKustomize, kubectlPath, objectKey } from './testing.js';

type Obj = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const NS = 'matrixinfer-system';
const CLUSTER_SCOPED = new Set(['Namespace', 'CustomResourceDefinition', 'ClusterRole', 'ClusterRoleBinding', 'ValidatingWebhookConfiguration', 'MutatingWebhookConfiguration']);

function find(objs: Obj[], kind: string, name: string): Obj {
  const o = objs.find((x) => x.kind === kind && x.metadata?.name === name);
  expect(o, `${kind}/${name} in the bundle`).to.not.equal(undefined);
  return o as Obj;
}

function container(o: Obj): Obj {
  return o.spec.template.spec.containers[0] as Obj;
}

describe('install bundle (k8s/deploy)', function () {
  const kubectl = kubectlPath();
  let objs: Obj[] = [];

  before(function () {
    // Stated reason: the rendering check needs kustomize, which ships inside kubectl.
    if (!kubectl) this.skip();
    objs = kubectlKustomize(kubectl as string, DEPLOY_DIR);
  });

  it('k8s/crds/kustomization.yml lists exactly the generated CRDs (run `npm run generate -w k8s` when this fails)', () => {
    const dir = new URL('../../crds/', import.meta.url);
    expect(readFileSync(new URL(CRD_KUSTOMIZATION_FILE, dir), 'utf8')).to.equal(renderCrdKustomization(renderAllCrds().keys()));
    const onDisk = readdirSync(dir).filter((f) => f.endsWith('.yaml'));
    expect(onDisk.sort()).to.deep.equal([...renderAllCrds().keys()].sort());
  });

  it('renders every CRD from k8s/crds unchanged (one source of truth)', () => {
    const crds = objs.filter((o) => o.kind === 'CustomResourceDefinition').map((o) => o.metadata.name as string);
    expect(crds.sort()).to.deep.equal([...renderAllCrds().keys()].map((f) => f.replace(/\.yaml$/, '')).sort());
  });

  it('puts every namespaced object in matrixinfer-system and has no duplicate', () => {
    find(objs, 'Namespace', NS);
    for (const o of objs) {
      if (CLUSTER_SCOPED.has(o.kind as string)) expect(o.metadata.namespace, objectKey(o)).to.equal(undefined);
      else expect(o.metadata.namespace, objectKey(o)).to.equal(NS);
    }
    const keys = objs.map(objectKey);
    expect(new Set(keys).size).to.equal(keys.length);
  });

  it('runs the controller as `mi controller --kubernetes` with 2 replicas, probes on the API port 8090, requests and limits', () => {
    const d = find(objs, 'Deployment', 'mi-controller');
    expect(d.spec.replicas).to.equal(2);
    const c = container(d);
    expect(c.image).to.equal('matrixinfer:latest');
    expect(c.args.slice(0, 2)).to.deep.equal(['controller', '--kubernetes']);
    expect(c.ports).to.deep.include({ name: 'api', containerPort: 8090 });
    expect(c.livenessProbe.httpGet).to.deep.equal({ path: '/healthz', port: 'api' });
    expect(c.readinessProbe.httpGet).to.deep.equal({ path: '/readyz', port: 'api' });
    expect(c.resources.requests).to.have.keys('cpu', 'memory');
    expect(c.resources.limits).to.have.keys('cpu', 'memory');
    expect(d.spec.template.spec.serviceAccountName).to.equal('mi-controller');
  });

  it('runs N gateways behind a Service on 8080 with /healthz and /readyz probes', () => {
    const d = find(objs, 'Deployment', 'mi-gateway');
    expect(d.spec.replicas).to.be.greaterThan(1);
    const c = container(d);
    expect(c.command).to.deep.equal(['mi-gateway']);
    expect(c.args).to.include.members(['--host', '0.0.0.0', '--port', '8080']);
    expect(c.livenessProbe.httpGet).to.deep.equal({ path: '/healthz', port: 'http' });
    expect(c.readinessProbe.httpGet).to.deep.equal({ path: '/readyz', port: 'http' });
    expect(c.resources.limits).to.have.keys('cpu', 'memory');
    const svc = find(objs, 'Service', 'mi-gateway');
    expect(svc.spec.ports[0]).to.include({ port: 8080, targetPort: 'http' });
    expect(svc.spec.selector).to.deep.equal(d.spec.selector.matchLabels);
  });

  it('runs NATS with JetStream on a persistent volume, a headless and a client Service', () => {
    const s = find(objs, 'StatefulSet', 'nats');
    expect(s.spec.serviceName).to.equal('nats-headless');
    expect(s.spec.volumeClaimTemplates[0].metadata.name).to.equal('data');
    expect(container(s).volumeMounts).to.deep.include({ name: 'data', mountPath: '/data' });
    expect(find(objs, 'ConfigMap', 'nats-config').data['nats.conf']).to.match(/jetstream \{\s+store_dir: \/data/);
    expect(find(objs, 'Service', 'nats-headless').spec.clusterIP).to.equal('None');
    expect(find(objs, 'Service', 'nats').spec.ports[0].port).to.equal(4222);
    for (const name of ['mi-controller', 'mi-gateway']) {
      const env = container(find(objs, 'Deployment', name)).env as { name: string; value?: string }[];
      expect(env).to.deep.include({ name: 'NATS_URL', value: 'nats://nats:4222' });
    }
  });

  it('has a PodDisruptionBudget selecting each workload', () => {
    for (const [kind, name] of [['Deployment', 'mi-controller'], ['Deployment', 'mi-gateway'], ['StatefulSet', 'nats']]) {
      const pdb = find(objs, 'PodDisruptionBudget', name);
      expect(pdb.spec.selector.matchLabels).to.deep.equal(find(objs, kind, name).spec.selector.matchLabels);
    }
  });

  it('gives the gateway and NATS no API access, the controller only its ClusterRole, Lease Role and NATS Secrets, the webhook only its Secret and configurations', () => {
    for (const name of ['mi-gateway', 'nats']) expect(find(objs, 'ServiceAccount', name).automountServiceAccountToken).to.equal(false);
    const bindings = objs.filter((o) => o.kind === 'RoleBinding' || o.kind === 'ClusterRoleBinding');
    const subjects = bindings.flatMap((b) => (b.subjects as Obj[]).map((s) => `${s.kind}/${s.namespace}/${s.name}`));
    expect([...new Set(subjects)].sort()).to.deep.equal([`ServiceAccount/${NS}/mi-controller`, `ServiceAccount/${NS}/mi-webhook`]);
    const webhookRules = find(objs, 'ClusterRole', 'matrixinfer-webhook').rules as Obj[];
    expect(webhookRules.filter((r) => (r.apiGroups as string[])[0] === 'admissionregistration.k8s.io')).to.deep.equal([{ apiGroups: ['admissionregistration.k8s.io'], resources: ['validatingwebhookconfigurations', 'mutatingwebhookconfigurations'], resourceNames: ['matrixinfer'], verbs: ['get', 'update'] }]);
    expect([...new Set(webhookRules.filter((r) => (r.apiGroups as string[])[0] !== 'admissionregistration.k8s.io').flatMap((r) => r.verbs as string[]))]).to.deep.equal(['list', 'watch']);
    expect((find(objs, 'Role', 'matrixinfer-webhook').rules as Obj[]).flatMap((r) => r.resources as string[])).to.deep.equal(['secrets', 'secrets']);
    const role = find(objs, 'Role', 'matrixinfer-controller-leader-election');
    expect(role.rules).to.deep.equal([{ apiGroups: ['coordination.k8s.io'], resources: ['leases'], verbs: ['get', 'create', 'update'] }]);
    const creds = find(objs, 'Role', 'matrixinfer-controller-nats-secrets').rules as Obj[];
    expect(creds.flatMap((r) => r.resources as string[])).to.deep.equal(['secrets', 'secrets']);
    expect(creds.flatMap((r) => r.verbs as string[])).to.deep.equal(['get', 'create']);
    const verbs = (find(objs, 'ClusterRole', 'matrixinfer-controller').rules as Obj[]).flatMap((r) => r.verbs as string[]);
    expect(verbs).to.not.include.members(['*', 'deletecollection', 'escalate', 'bind', 'impersonate']);
  });

  it('justifies every RBAC rule with a comment above it (a comment covers the rules right after it that grant the same verbs)', () => {
    const lines = ['controller.yaml', 'webhook.yaml'].flatMap((f) => [...readFileSync(join(DEPLOY_DIR, 'base', 'rbac', f), 'utf8').split('\n'), '---']);
    let covered: string | undefined;
    let rules = 0;
    for (const [i, line] of lines.entries()) {
      if (line.startsWith('#') || line === '---') covered = line === '---' ? undefined : 'comment';
      const verbs = /^ {2}verbs: (.*)$/.exec(line)?.[1];
      if (verbs === undefined) continue;
      rules += 1;
      expect(covered === 'comment' || covered === verbs, `the rule ending at line ${i + 1} (verbs ${verbs}) has no comment saying why`).to.equal(true);
      covered = verbs;
    }
    expect(rules).to.be.greaterThan(5);
  });

  it('overlays/api-keys gives the gateways the key file from a Secret directory and an optional admin token', function () {
    const withKeys = kubectlKustomize(kubectl as string, join(DEPLOY_DIR, 'overlays', 'api-keys')) as Obj[];
    const spec = find(withKeys, 'Deployment', 'mi-gateway').spec.template.spec;
    const c = spec.containers[0];
    expect(c.args.slice(-2)).to.deep.equal(['--api-keys', '/etc/mi/api-keys/keys.yaml']);
    expect(c.env.find((e: { name: string }) => e.name === 'MI_GATEWAY_ADMIN_TOKEN').valueFrom.secretKeyRef).to.deep.equal({ name: 'mi-gateway-admin', key: 'token', optional: true });
    // A directory mount (no subPath): kubelet's Secret updates reach the gateway, which reloads.
    expect(c.volumeMounts.find((m: { name: string }) => m.name === 'api-keys')).to.deep.equal({ name: 'api-keys', mountPath: '/etc/mi/api-keys', readOnly: true });
    expect(spec.volumes.find((v: { name: string }) => v.name === 'api-keys').secret).to.deep.equal({ secretName: 'mi-gateway-api-keys' });
    expect(withKeys.map(objectKey).sort()).to.deep.equal(objs.map(objectKey).sort());
  });

  it('overlays/nats-cluster renders 3 NATS servers with routes between them and 3 replicas of every stream', function () {
    const cluster = kubectlKustomize(kubectl as string, join(DEPLOY_DIR, 'overlays', 'nats-cluster')) as Obj[];
    expect(find(cluster, 'StatefulSet', 'nats').spec.replicas).to.equal(3);
    const conf = find(cluster, 'ConfigMap', 'nats-config').data['nats.conf'] as string;
    for (const i of [0, 1, 2]) expect(conf).to.include(`nats://nats-${i}.nats-headless:6222`);
    // Every stream and bucket on 3 servers (events/src/jetstream-cluster.test.ts runs that on a real cluster).
    expect(container(find(cluster, 'Deployment', 'mi-controller')).args.slice(-2)).to.deep.equal(['--jetstream-replicas', '3']);
    expect(container(find(objs, 'Deployment', 'mi-controller')).args).to.not.include('--jetstream-replicas');
    expect(cluster.map(objectKey).sort()).to.deep.equal(objs.map(objectKey).sort());
  });
});
