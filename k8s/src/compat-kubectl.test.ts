// Kubernetes mode takes MatrixInfer's examples unchanged: each file of
// ../shared/compat/matrixinfer/examples goes through real `kubectl apply` into the test API
// server with our CRDs (strict field validation, as kubectl sends it) and our admission
// webhooks over HTTPS (validating and mutating), core kinds included,
// and the ingest brings every MatrixInfer object of it into MI_DESIRED. The one real typo
// (`replicase`) is refused by the API server at its path, as on a real cluster.
import { expect } from 'chai';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import winston from 'winston';
import { parseAllDocuments } from 'yaml';
import { createResourceStore, ensureStreams, type ResourceStore } from '@matrixinfer/events';
import { startNatsServer, type TestNatsServer } from '@matrixinfer/events/testing';
import { startIngest, type Ingest } from './ingest/runner.js';
import { kubectl, kubectlPath } from './testing/apiserver/kubectl.js';
import { startTestApiServer, type TestApiServer } from './testing/apiserver/server.js';
import { webhookAdmission } from './testing/apiserver/webhook-caller.js';
import type { WebhookServer } from './webhook/server.js';
import { installTestWebhook } from './webhook/testing.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const CORPUS = join(ROOT, '..', 'shared', 'compat', 'matrixinfer', 'examples');
const TYPO = join('model', 'Qwen2.5-Coder-32B-Instruct.yaml');
const CRD_DIR = join(ROOT, 'k8s', 'crds');
const logger = winston.createLogger({ transports: [new winston.transports.Console({ silent: true })] });

function yamlFiles(dir: string): string[] {
  return readdirSync(dir)
    .sort()
    .flatMap((f) => {
      const p = join(dir, f);
      if (statSync(p).isDirectory()) return yamlFiles(p);
      return /\.ya?ml$/.test(f) ? [p] : [];
    });
}

async function until(what: string, cond: () => Promise<boolean>, ms = 15_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error(`${what}: not met in time`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('kubectl apply of MatrixInfer examples in Kubernetes mode (test API server, ingest, real nats-server)', function () {
  this.timeout(60_000);
  if (!existsSync(CORPUS)) {
    it('needs ../shared/compat/matrixinfer/examples', function () {
      this.skip(); // the compatibility corpus lives beside the repository, not in it
    });
    return;
  }
  let server: TestNatsServer;
  let nc: NatsConnection;
  let api: TestApiServer;
  let store: ResourceStore;
  let ingest: Ingest;
  let hook: WebhookServer | undefined;
  before(async function () {
    if (!kubectlPath()) this.skip();
    server = await startNatsServer();
    nc = await connect({ servers: server.url });
    await ensureStreams(await jetstreamManager(nc));
    store = createResourceStore({ js: jetstream(nc), jsm: await jetstreamManager(nc) });
    // With our admission webhooks on the path, as on a cluster installed from k8s/deploy.
    api = await startTestApiServer({ crds: readdirSync(CRD_DIR).filter((f) => f.endsWith('.yaml')).map((f) => join(CRD_DIR, f)), namespaces: ['default'], admission: webhookAdmission });
    hook = await installTestWebhook(api);
    ingest = await startIngest({ nc, kubeConfig: api.kubeConfig, logger, initialBackoffMs: 50 });
    await ingest.synced;
  });
  after(async () => {
    await ingest?.stop();
    await api?.stop();
    await hook?.close();
    await nc?.close();
    await server?.close();
  });

  for (const file of yamlFiles(CORPUS).filter((f) => relative(CORPUS, f) !== TYPO)) {
    it(`${relative(CORPUS, file)}: applied by kubectl, its MatrixInfer objects ingested`, async () => {
      const r = await kubectl(api, ['apply', '-n', 'default', '-f', file]);
      expect(r.code, r.stderr).to.equal(0);
      const ours = parseAllDocuments(readFileSync(file, 'utf8'))
        .map((d) => d.toJS() as { apiVersion?: string; kind: string; metadata: { name: string; namespace?: string } } | null)
        .filter((d) => d !== null && /\.matrixinfer\.ai\//.test(d.apiVersion ?? ''));
      expect(ours.length).to.be.greaterThan(0);
      for (const d of ours!) await until(`${d!.kind}/${d!.metadata.name} in MI_DESIRED`, async () => (await store.get(d!.kind, d!.metadata.namespace ?? 'default', d!.metadata.name)) !== null);
    });
  }

  it(`${TYPO}: refused by the API server at the typo's path`, async () => {
    const r = await kubectl(api, ['apply', '-n', 'default', '-f', join(CORPUS, TYPO)]);
    expect(r.code).to.not.equal(0);
    expect(r.stderr).to.match(/unknown field "spec\.backends\[0\]\.workers\[0\]\.replicase"/);
  });
});
