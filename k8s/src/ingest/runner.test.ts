import { expect } from 'chai';
import { readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import winston from 'winston';
import { createResourceStore, ensureStreams, type ResourceStore } from '@matrixinfer/events';
import { startNatsServer, type TestNatsServer } from '@matrixinfer/events/testing';
import { kubectl, kubectlPath } from '../testing/apiserver/kubectl.js';
import { startTestApiServer, type TestApiServer } from '../testing/apiserver/server.js';
import { INGEST_ANNOTATIONS } from './object.js';
import { MIRROR_ANNOTATION } from './mirrored.js';
import { startIngest, type Ingest } from './runner.js';

const CRD_DIR = fileURLToPath(new URL('../../crds/', import.meta.url));
const CRDS = readdirSync(CRD_DIR).filter((f) => f.endsWith('.yaml')).map((f) => join(CRD_DIR, f));
const logger = winston.createLogger({ level: 'error', transports: [new winston.transports.Console({ silent: true })] });

async function until(what: string, cond: () => boolean | Promise<boolean>, ms = 15_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error(`${what}: not met in time`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

const model = (name: string, minReplicas = 1) =>
  `apiVersion: registry.matrixinfer.ai/v1alpha1\nkind: Model\nmetadata: { name: "${name}" }\nspec:\n  name: "${name}"\n  backends:\n  - name: sim\n    type: vLLM\n    modelURI: hf://org/${name}\n    minReplicas: ${minReplicas}\n    maxReplicas: 4\n    workers: [{ type: server, replicas: 1 }]\n`;

describe('k8s ingest runner (real nats-server, test API server, real kubectl)', function () {
  this.timeout(60_000);
  let server: TestNatsServer;
  let nc: NatsConnection;
  let api: TestApiServer;
  let store: ResourceStore;
  let ingest: Ingest | undefined;
  before(async function () {
    if (!kubectlPath()) this.skip();
    server = await startNatsServer();
    nc = await connect({ servers: server.url });
    await ensureStreams(await jetstreamManager(nc));
    store = createResourceStore({ js: jetstream(nc), jsm: await jetstreamManager(nc) });
  });
  beforeEach(async () => {
    await (await jetstreamManager(nc)).streams.purge('MI_DESIRED');
    api = await startTestApiServer({ crds: CRDS, namespaces: ['default', 'ns'] });
  });
  afterEach(async () => {
    await ingest?.stop();
    ingest = undefined;
    await api?.stop();
  });
  after(async () => {
    await nc?.close();
    await server?.stop();
  });

  const start = async () => {
    ingest = await startIngest({ nc, kubeConfig: api.kubeConfig, logger, initialBackoffMs: 50, maxBackoffMs: 200 });
    await ingest.synced;
    return ingest;
  };
  const apply = async (yaml: string) => {
    const r = await kubectl(api, ['apply', '-n', 'ns', '-f', '-'], { input: yaml });
    expect(r.code, r.stderr).to.equal(0);
  };
  // Messages per MI_DESIRED subject: what proves "at most one event per resourceVersion".
  const counts = async (): Promise<Record<string, number>> => {
    const info = await (await jetstreamManager(nc)).streams.info('MI_DESIRED', { subjects_filter: '>' });
    return (info.state.subjects ?? {}) as Record<string, number>;
  };
  const k8sModel = async (name: string) => (await kubectl(api, ['get', 'model', '-n', 'ns', name, '-o', 'json'])).stdout;

  it('kubectl apply/update/delete of a Model become MI_DESIRED versions with the Kubernetes identity; status-only changes write nothing', async () => {
    await start();
    await apply(model('llama'));
    await until('created', async () => (await store.get('Model', 'ns', 'llama')) !== null);
    const k = JSON.parse(await k8sModel('llama')) as { metadata: { uid: string; resourceVersion: string } };
    const stored = (await store.get('Model', 'ns', 'llama'))!;
    expect(stored.metadata.annotations).to.include({ [INGEST_ANNOTATIONS.uid]: k.metadata.uid, [INGEST_ANNOTATIONS.resourceVersion]: k.metadata.resourceVersion, [INGEST_ANNOTATIONS.generation]: '1' });
    expect(stored.metadata.annotations).to.not.have.property('kubectl.kubernetes.io/last-applied-configuration');
    expect((stored.spec as { backends: { minReplicas: number }[] }).backends[0].minReplicas).to.equal(1);

    await apply(model('llama', 2));
    await until('updated', async () => ((await store.get('Model', 'ns', 'llama'))?.spec as { backends: { minReplicas: number }[] } | undefined)?.backends[0].minReplicas === 2);

    // Our own status write-back bumps resourceVersion without a spec change: no new version.
    const r = await kubectl(api, ['patch', 'model', '-n', 'ns', 'llama', '--subresource=status', '--type=merge', '-p', '{"status":{"conditions":[]}}']);
    expect(r.code, r.stderr).to.equal(0);
    await until('status change seen', () => (ingest!.stats().Model.reasons.unchanged ?? 0) >= 1);
    expect((await counts())['mi.desired.model.ns.llama']).to.equal(2);

    expect((await kubectl(api, ['delete', 'model', '-n', 'ns', 'llama'])).code).to.equal(0);
    await until('deleted', async () => (await store.get('Model', 'ns', 'llama')) === null);
    expect((await counts())['mi.desired.model.ns.llama']).to.equal(3);
  });

  it('a restarted ingest writes only what changed while it was down: no duplicate, no lost event', async () => {
    await start();
    await apply(model('a') + '---\n' + model('b') + '---\n' + model('c'));
    await until('three', async () => (await store.list('Model', 'ns')).length === 3);
    await ingest!.stop();
    ingest = undefined;

    // While it is down: one updated, one deleted, one created, one untouched.
    await apply(model('a', 3));
    expect((await kubectl(api, ['delete', 'model', '-n', 'ns', 'b'])).code).to.equal(0);
    await apply(model('d'));

    await start();
    const names = (await store.list('Model', 'ns')).map((m) => m.metadata.name);
    expect(names).to.deep.equal(['a', 'c', 'd']);
    expect(await counts()).to.deep.equal({ 'mi.desired.model.ns.a': 2, 'mi.desired.model.ns.b': 2, 'mi.desired.model.ns.c': 1, 'mi.desired.model.ns.d': 1 });
    expect(ingest!.stats().Model.reasons['same-version']).to.equal(1);

    // A third start with nothing changed writes nothing at all.
    await ingest!.stop();
    await start();
    expect(await counts()).to.deep.equal({ 'mi.desired.model.ns.a': 2, 'mi.desired.model.ns.b': 2, 'mi.desired.model.ns.c': 1, 'mi.desired.model.ns.d': 1 });
  });

  it('after a compaction the watch gets 410 Gone, relists, and converges on changes made meanwhile', async () => {
    await start();
    await apply(model('x'));
    await until('x', async () => (await store.get('Model', 'ns', 'x')) !== null);
    const listsBefore = ingest!.stats().Model.lists;
    // Compaction ends live watches; the resumed watch asks for a forgotten resourceVersion.
    await apply(model('y'));
    api.compact();
    expect((await kubectl(api, ['delete', 'model', '-n', 'ns', 'x'])).code).to.equal(0);
    await until('relisted', () => ingest!.stats().Model.lists > listsBefore);
    await until('converged', async () => (await store.list('Model', 'ns')).map((m) => m.metadata.name).join() === 'y');
    expect(ingest!.stats().Model.gone).to.be.greaterThan(0);
    expect(await counts()).to.deep.equal({ 'mi.desired.model.ns.x': 2, 'mi.desired.model.ns.y': 1 });
  });

  it('leaves mirrored objects (children derived in the log) alone, and a user-made ModelInfer is ingested', async () => {
    await start();
    const mi = (name: string, annotations = '{}') =>
      `apiVersion: workload.matrixinfer.ai/v1alpha1\nkind: ModelInfer\nmetadata: { name: ${name}, annotations: ${annotations} }\nspec: { replicas: 1, template: { roles: [{ name: server, replicas: 1, entryTemplate: { spec: { containers: [{ name: e, image: "x:1" }] } } }] } }\n`;
    await apply(mi('derived', `{ "${MIRROR_ANNOTATION}": "mi.desired.ModelInfer.ns.derived" }`) + '---\n' + mi('mine'));
    await until('mine', async () => (await store.get('ModelInfer', 'ns', 'mine')) !== null);
    await until('derived seen', () => (ingest!.stats().ModelInfer.reasons.mirrored ?? 0) >= 1);
    expect(await store.get('ModelInfer', 'ns', 'derived')).to.equal(null);
  });
});
