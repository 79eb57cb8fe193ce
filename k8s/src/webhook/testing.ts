// Test helper: a webhook server with a generated certificate, registered in a test API server
// through real kubectl as Validating- and MutatingWebhookConfigurations (url + caBundle), the
// way k8s/deploy registers it on a cluster.
import winston from 'winston';
import { kubectl } from '../testing/apiserver/kubectl.js';
import type { TestApiServer } from '../testing/apiserver/server.js';
import { generateServingCert } from './certs.js';
import { startObjectCache } from './cache.js';
import { crossResourceChecks, deletionChecks, type ObjectCache } from './cross.js';
import { startWebhookServer, type WebhookServer } from './server.js';

/** The rules of both configurations: creates and updates on the three groups, and deletes of policies (a binding may use one). */
export const WEBHOOK_RULES = [
  { operations: ['CREATE', 'UPDATE'], apiGroups: ['registry.matrixinfer.ai', 'workload.matrixinfer.ai', 'networking.matrixinfer.ai'], apiVersions: ['v1alpha1'], resources: ['*'] },
  { operations: ['DELETE'], apiGroups: ['registry.matrixinfer.ai'], apiVersions: ['v1alpha1'], resources: ['autoscalingpolicies'] },
];

/** Starts the webhook on 127.0.0.1 (with its cluster cache) and registers it in `api`; stop the returned server after. */
export async function installTestWebhook(api: Pick<TestApiServer, 'kubeconfigPath' | 'cacheDir' | 'kubeConfig'>): Promise<WebhookServer & { cache: ObjectCache }> {
  const cert = await generateServingCert(['matrixinfer-webhook.matrixinfer-system.svc'], ['127.0.0.1'], 3600_000);
  const logger = winston.createLogger({ transports: [new winston.transports.Console({ silent: true })] });
  const cache = startObjectCache(api.kubeConfig, logger);
  await cache.synced;
  const server = await startWebhookServer({ cert, port: 0, host: '127.0.0.1', logger, cross: (kind, obj, op) => (op === 'DELETE' ? deletionChecks(kind, obj, cache) : crossResourceChecks(kind, obj, cache)) });
  const hook = { ...server, cache, close: async () => (await cache.stop(), await server.close()) };
  const caBundle = Buffer.from(cert.ca).toString('base64');
  const cfg = (kind: string, path: string) =>
    `apiVersion: admissionregistration.k8s.io/v1\nkind: ${kind}\nmetadata: { name: matrixinfer }\nwebhooks:\n- name: ${path}.matrixinfer.ai\n  clientConfig: { url: "${hook.url}/${path}", caBundle: ${caBundle} }\n  rules: ${JSON.stringify(WEBHOOK_RULES)}\n  failurePolicy: Fail\n  sideEffects: None\n  admissionReviewVersions: [v1]\n  timeoutSeconds: 5\n`;
  for (const y of [cfg('ValidatingWebhookConfiguration', 'validate'), cfg('MutatingWebhookConfiguration', 'mutate')]) {
    const r = await kubectl(api, ['apply', '-f', '-'], { input: y });
    if (r.code !== 0) throw new Error(`registering the webhook failed: ${r.stderr}`);
  }
  return hook;
}
