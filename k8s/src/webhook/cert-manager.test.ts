import { expect } from 'chai';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CoreV1Api, CustomObjectsApi } from '@kubernetes/client-node';
import winston from 'winston';
import { kubectl, kubectlPath } from '../testing/apiserver/kubectl.js';
import { startTestApiServer, type TestApiServer } from '../testing/apiserver/server.js';
import { webhookAdmission } from '../testing/apiserver/webhook-caller.js';
import { dueForRotation } from './certs.js';
import { startCertManager, type CertManager } from './cert-manager.js';
import { startWebhookServer, type WebhookServer } from './server.js';
import { WEBHOOK_RULES } from './testing.js';

const CRD_DIR = fileURLToPath(new URL('../../crds/', import.meta.url));
const logger = winston.createLogger({ transports: [new winston.transports.Console({ silent: true })] });

describe('webhook certificates: rotation plan', () => {
  it('rotates at two thirds of the life', () => {
    const v = { notBefore: new Date(0), notAfter: new Date(3000) };
    expect(dueForRotation(v, new Date(1999))).to.equal(false);
    expect(dueForRotation(v, new Date(2000))).to.equal(true);
  });
});

describe('webhook certificates in a Secret, caBundle kept current, rotation under load (test API server)', function () {
  this.timeout(60_000);
  let api: TestApiServer;
  let hook: WebhookServer | undefined;
  const managers: CertManager[] = [];
  before(async function () {
    if (!kubectlPath()) this.skip();
    api = await startTestApiServer({ crds: readdirSync(CRD_DIR).filter((f) => f.endsWith('.yaml')).map((f) => join(CRD_DIR, f)), namespaces: ['default', 'matrixinfer-system'], admission: webhookAdmission });
  });
  after(async () => {
    for (const m of managers) await m.stop();
    await hook?.close();
    await api?.stop();
  });

  it('two replicas share one Secret; the caBundle is written; admissions keep succeeding across rotations', async () => {
    const opts = { kubeConfig: api.kubeConfig, namespace: 'matrixinfer-system', secretName: 'matrixinfer-webhook-tls', configurations: ['matrixinfer'], dnsNames: ['matrixinfer-webhook.matrixinfer-system.svc'], ips: ['127.0.0.1'], validityMs: 3000, checkMs: 150, logger };
    const a = await startCertManager({ ...opts, onCert: (c) => hook?.setCert(c) });
    managers.push(a);
    hook = await startWebhookServer({ cert: a.current(), port: 0, host: '127.0.0.1', logger });
    // A second replica: same Secret, same pair, no new CA.
    const b = await startCertManager({ ...opts, onCert: () => undefined });
    managers.push(b);
    expect(b.current().cert).to.equal(a.current().cert);
    const ca = a.current().ca;

    // Registered without a caBundle: the manager fills it in.
    for (const [kind, path] of [['ValidatingWebhookConfiguration', 'validate'], ['MutatingWebhookConfiguration', 'mutate']]) {
      const y = `apiVersion: admissionregistration.k8s.io/v1\nkind: ${kind}\nmetadata: { name: matrixinfer }\nwebhooks:\n- name: ${path}.matrixinfer.ai\n  clientConfig: { url: "${hook.url}/${path}" }\n  rules: ${JSON.stringify(WEBHOOK_RULES)}\n  failurePolicy: Fail\n  sideEffects: None\n  admissionReviewVersions: [v1]\n  timeoutSeconds: 5\n`;
      expect((await kubectl(api, ['apply', '-f', '-'], { input: y })).code).to.equal(0);
    }
    const custom = api.kubeConfig.makeApiClient(CustomObjectsApi);
    const create = (name: string) => custom.createNamespacedCustomObject({ group: 'registry.matrixinfer.ai', version: 'v1alpha1', namespace: 'default', plural: 'models', body: { apiVersion: 'registry.matrixinfer.ai/v1alpha1', kind: 'Model', metadata: { name }, spec: { backends: [{ name: 'b', type: 'vLLM', modelURI: 'hf://o/m', minReplicas: 1, maxReplicas: 1, workers: [{ type: 'server' }] }] } } });
    const deadline = Date.now() + 10_000;
    let firstOk = false;
    while (!firstOk && Date.now() < deadline) {
      firstOk = await create('probe').then(() => true, () => false);
      if (!firstOk) await new Promise((r) => setTimeout(r, 100));
    }
    expect(firstOk, 'admission works once the caBundle is written').to.equal(true);

    // ~7 s of admissions: more than two certificate lifetimes of 3 s, every one must pass.
    const served = new Set<string>([a.current().cert]);
    let n = 0;
    const end = Date.now() + 7000;
    while (Date.now() < end) {
      await create(`m-${n++}`);
      served.add(a.current().cert);
    }
    expect(n).to.be.greaterThan(10);
    expect(served.size, 'serving certificates used').to.be.at.least(3);
    expect(a.rotations() + b.rotations()).to.be.at.least(2);
    // Same CA throughout: clients never needed a new caBundle.
    expect(a.current().ca).to.equal(ca);
    const secret = await api.kubeConfig.makeApiClient(CoreV1Api).readNamespacedSecret({ name: 'matrixinfer-webhook-tls', namespace: 'matrixinfer-system' });
    expect(secret.type).to.equal('kubernetes.io/tls');
    expect(Object.keys(secret.data ?? {}).sort()).to.deep.equal(['ca.crt', 'ca.key', 'tls.crt', 'tls.key']);
  });
});
