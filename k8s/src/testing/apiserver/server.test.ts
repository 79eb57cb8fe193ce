import { expect } from 'chai';
import { CustomObjectsApi, CoreV1Api, makeInformer, type KubernetesObject } from '@kubernetes/client-node';
import { fileURLToPath } from 'node:url';
import { startTestApiServer, type TestApiServer } from './server.js';

const CRDS = fileURLToPath(new URL('../../../crds/modelinfers.workload.matrixinfer.ai.yaml', import.meta.url));
const G = 'workload.matrixinfer.ai';
const V = 'v1alpha1';

async function http(s: TestApiServer, method: string, path: string, body?: unknown, contentType = 'application/json'): Promise<{ status: number; json: Record<string, unknown>; text: string; headers: Headers }> {
  const r = await fetch(`${s.url}${path}`, { method, headers: body === undefined ? {} : { 'content-type': contentType }, body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body) });
  const text = await r.text();
  let json: Record<string, unknown> = {};
  try {
    json = JSON.parse(text) as Record<string, unknown>;
  } catch {
    /* watch streams and plain text */
  }
  return { status: r.status, json, text, headers: r.headers };
}

const mi = (name: string, replicas = 1) => ({ apiVersion: `${G}/${V}`, kind: 'ModelInfer', metadata: { name }, spec: { replicas, template: { roles: [{ name: 'server', replicas: 1, entryTemplate: { spec: { containers: [{ name: 'e', image: 'x:1' }] } } }] } } });
const miPath = (name = '') => `/apis/${G}/${V}/namespaces/default/modelinfers${name ? `/${name}` : ''}`;

async function until(cond: () => boolean | Promise<boolean>, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe('test apiserver over HTTP (client-node and fetch)', function () {
  this.timeout(20_000);
  let s: TestApiServer;
  beforeEach(async () => {
    s = await startTestApiServer({ crds: [CRDS], bookmarkMs: 50 });
  });
  afterEach(async () => s.stop());

  it('serves discovery for CRDs registered from YAML, with status and scale subresources', async () => {
    const gl = await http(s, 'GET', '/apis');
    expect((gl.json.groups as { name: string }[]).map((g) => g.name)).to.include(G);
    const rl = await http(s, 'GET', `/apis/${G}/${V}`);
    const names = (rl.json.resources as { name: string }[]).map((r) => r.name);
    expect(names).to.include.members(['modelinfers', 'modelinfers/status', 'modelinfers/scale']);
    const crd = await http(s, 'GET', '/apis/apiextensions.k8s.io/v1/customresourcedefinitions/modelinfers.workload.matrixinfer.ai');
    expect((crd.json.status as { conditions: { type: string; status: string }[] }).conditions.find((c) => c.type === 'Established')?.status).to.equal('True');
  });

  it('409 on a stale resourceVersion; generation moves with spec only; status only through /status', async () => {
    const api = s.kubeConfig.makeApiClient(CustomObjectsApi);
    const created = (await api.createNamespacedCustomObject({ group: G, version: V, namespace: 'default', plural: 'modelinfers', body: mi('a') })) as KubernetesObject & { spec: { replicas: number } };
    expect(created.metadata?.generation).to.equal(1);
    const stale = structuredClone(created);
    created.spec.replicas = 2;
    const updated = (await api.replaceNamespacedCustomObject({ group: G, version: V, namespace: 'default', plural: 'modelinfers', name: 'a', body: created })) as KubernetesObject;
    expect(updated.metadata?.generation).to.equal(2);
    const conflict = await http(s, 'PUT', miPath('a'), stale);
    expect(conflict.status).to.equal(409);
    expect(conflict.json.reason).to.equal('Conflict');
    const viaMain = await http(s, 'PATCH', miPath('a'), { status: { replicas: 5 } }, 'application/merge-patch+json');
    expect(viaMain.json.status).to.equal(undefined);
    const viaStatus = await http(s, 'PATCH', `${miPath('a')}/status`, { status: { replicas: 5 } }, 'application/merge-patch+json');
    expect((viaStatus.json.status as { replicas: number }).replicas).to.equal(5);
    expect((viaStatus.json.metadata as { generation: number }).generation).to.equal(2);
  });

  it('scale subresource reads and writes spec.replicas without touching the rest', async () => {
    await http(s, 'POST', miPath(), mi('b', 1));
    const sc = await http(s, 'PATCH', `${miPath('b')}/scale`, { spec: { replicas: 3 } }, 'application/merge-patch+json');
    expect(sc.json.kind).to.equal('Scale');
    expect((sc.json.spec as { replicas: number }).replicas).to.equal(3);
    const o = await http(s, 'GET', miPath('b'));
    expect((o.json.spec as { replicas: number }).replicas).to.equal(3);
  });

  it('finalizers hold a delete (deletionTimestamp set, 202) until removed; ownerReferences are garbage collected', async () => {
    const owner = await http(s, 'POST', miPath(), { ...mi('c'), metadata: { name: 'c', finalizers: ['matrixinfer.ai/cleanup'] } });
    const uid = (owner.json.metadata as { uid: string }).uid;
    const pod = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'c-pod', ownerReferences: [{ apiVersion: `${G}/${V}`, kind: 'ModelInfer', name: 'c', uid, controller: true }] }, spec: { containers: [{ name: 'e', image: 'x:1' }] } };
    expect((await http(s, 'POST', '/api/v1/namespaces/default/pods', pod)).status).to.equal(201);
    const del = await http(s, 'DELETE', miPath('c'));
    expect(del.status).to.equal(202);
    expect((del.json.metadata as { deletionTimestamp?: string }).deletionTimestamp).to.be.a('string');
    await s.settle();
    expect((await http(s, 'GET', '/api/v1/namespaces/default/pods/c-pod')).status).to.equal(200);
    const adding = await http(s, 'PATCH', miPath('c'), { metadata: { finalizers: ['matrixinfer.ai/cleanup', 'other'] } }, 'application/merge-patch+json');
    expect(adding.status).to.equal(422);
    await http(s, 'PATCH', miPath('c'), { metadata: { finalizers: null } }, 'application/merge-patch+json');
    expect((await http(s, 'GET', miPath('c'))).status).to.equal(404);
    await s.settle();
    await until(async () => (await http(s, 'GET', '/api/v1/namespaces/default/pods/c-pod')).status === 404);
  });

  it('watch resumes from a resourceVersion, sends bookmarks, and answers 410 after compaction', async () => {
    const first = await http(s, 'POST', miPath(), mi('w1'));
    const rv = (first.json.metadata as { resourceVersion: string }).resourceVersion;
    await http(s, 'POST', miPath(), mi('w2'));
    const ctl = new AbortController();
    const r = await fetch(`${s.url}${miPath()}?watch=true&resourceVersion=${rv}&allowWatchBookmarks=true`, { signal: ctl.signal });
    const reader = r.body!.getReader();
    let buf = '';
    const events: { type: string; object: { metadata: { name?: string } } }[] = [];
    const pump = (async () => {
      for (;;) {
        const { value, done } = await reader.read().catch(() => ({ value: undefined, done: true }));
        if (done) return;
        buf += new TextDecoder().decode(value);
        let i;
        while ((i = buf.indexOf('\n')) >= 0) {
          events.push(JSON.parse(buf.slice(0, i)) as (typeof events)[number]);
          buf = buf.slice(i + 1);
        }
      }
    })();
    await until(() => events.some((e) => e.type === 'ADDED' && e.object.metadata.name === 'w2'));
    expect(events.some((e) => e.object.metadata.name === 'w1')).to.equal(false);
    await http(s, 'DELETE', miPath('w1'));
    await until(() => events.some((e) => e.type === 'DELETED' && e.object.metadata.name === 'w1'));
    await until(() => events.some((e) => e.type === 'BOOKMARK'));
    ctl.abort();
    await pump;
    s.compact();
    const gone = await http(s, 'GET', `${miPath()}?watch=true&resourceVersion=${rv}`);
    const ev = JSON.parse(gone.text.trim()) as { type: string; object: { code: number; reason: string } };
    expect(ev).to.deep.include({ type: 'ERROR' });
    expect(ev.object.code).to.equal(410);
    expect(ev.object.reason).to.equal('Expired');
  });

  it('a client-node informer lists, watches, and relists after a 410 to converge', async () => {
    const core = s.kubeConfig.makeApiClient(CoreV1Api);
    const inf = makeInformer(s.kubeConfig, '/api/v1/namespaces/default/configmaps', () => core.listNamespacedConfigMap({ namespace: 'default' }) as never);
    const seen = new Set<string>();
    inf.on('add', (o) => seen.add(o.metadata!.name!));
    inf.on('delete', (o) => seen.delete(o.metadata!.name!));
    // Restarted on errors (the 410 after compaction) until the test stops it, so nothing outlives the test.
    let stopped = false;
    inf.on('error', () => setTimeout(() => void (stopped ? undefined : inf.start().catch(() => undefined)), 50));
    await core.createNamespacedConfigMap({ namespace: 'default', body: { metadata: { name: 'one' } } });
    await inf.start();
    try {
      await until(() => seen.has('one'));
      await core.createNamespacedConfigMap({ namespace: 'default', body: { metadata: { name: 'two' } } });
      await until(() => seen.has('two'));
      // Changes while the watch is down and history is gone: only a relist can show them.
      s.compact();
      await core.deleteNamespacedConfigMap({ namespace: 'default', name: 'one' });
      await core.createNamespacedConfigMap({ namespace: 'default', body: { metadata: { name: 'three' } } });
      await until(() => seen.has('three') && !seen.has('one'));
      expect(seen).to.deep.equal(new Set(['two', 'three']));
    } finally {
      stopped = true;
      await inf.stop();
    }
  });

  it('server-side apply creates, conflicts with another manager (409) unless forced', async () => {
    const body = JSON.stringify(mi('ssa', 2));
    const a = await http(s, 'PATCH', `${miPath('ssa')}?fieldManager=gitops`, body, 'application/apply-patch+yaml');
    expect(a.status).to.equal(201);
    const b = await http(s, 'PATCH', `${miPath('ssa')}?fieldManager=scaler`, JSON.stringify({ ...mi('ssa', 4), spec: { replicas: 4 } }), 'application/apply-patch+yaml');
    expect(b.status).to.equal(409);
    expect(String(b.json.message)).to.match(/conflict with "gitops"/);
    const c = await http(s, 'PATCH', `${miPath('ssa')}?fieldManager=scaler&force=true`, JSON.stringify({ apiVersion: `${G}/${V}`, kind: 'ModelInfer', metadata: { name: 'ssa' }, spec: { replicas: 4 } }), 'application/apply-patch+yaml');
    expect(c.status).to.equal(200);
    expect((c.json.spec as { replicas: number; template: unknown }).replicas).to.equal(4);
    expect((c.json.spec as { template: unknown }).template).to.not.equal(undefined);
  });

  it('unknown paths and bad bodies answer Status objects, never a crash', async () => {
    expect((await http(s, 'GET', '/apis/nope/v1/things')).json.reason).to.equal('NotFound');
    expect((await http(s, 'POST', miPath(), '{not json')).status).to.equal(400);
    expect((await http(s, 'PATCH', miPath('x'), '{}', 'text/plain')).status).to.equal(415);
    expect((await http(s, 'PATCH', miPath('x'), '{}', 'application/strategic-merge-patch+json')).status).to.equal(415);
    expect((await http(s, 'GET', '/healthz')).status).to.equal(200);
  });
});
