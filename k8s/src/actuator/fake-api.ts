// A deliberately tiny stand-in for the API server, enough for the actuator's own test (list and
// watch of pods/services with a label-exists selector, create with 409, delete with 404, get of a
// ModelInfer, the pods binding and status subresources for the stand-in kubelet). The faithful fixture is k8s/src/testing/apiserver; this only lets the actuator's
// adapter be tested through the real @kubernetes/client-node before that one exists.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { KubeConfig } from '@kubernetes/client-node';

interface Obj {
  metadata: { name: string; namespace: string; uid?: string; resourceVersion?: string; labels?: Record<string, string>; deletionTimestamp?: string };
  [k: string]: unknown;
}

/** A running fake API server. */
export interface FakeApi {
  kubeConfig: KubeConfig;
  objects(plural: 'pods' | 'services'): Obj[];
  put(plural: 'pods' | 'services' | 'modelinfers', obj: Obj): void;
  remove(plural: 'pods' | 'services', namespace: string, name: string): void;
  close(): Promise<void>;
}

/** Starts the fake on 127.0.0.1:0. */
export async function startFakeApi(): Promise<FakeApi> {
  let rv = 1;
  let uid = 1;
  const store = { pods: new Map<string, Obj>(), services: new Map<string, Obj>(), modelinfers: new Map<string, Obj>() };
  const watchers = new Set<{ plural: string; res: ServerResponse }>();
  const emit = (plural: string, type: string, obj: Obj) => {
    for (const w of watchers) if (w.plural === plural) w.res.write(`${JSON.stringify({ type, object: obj })}\n`);
  };
  const put = (plural: keyof typeof store, obj: Obj) => {
    const key = `${obj.metadata.namespace}/${obj.metadata.name}`;
    const existed = store[plural].has(key);
    obj.metadata.uid ??= `uid-${uid++}`;
    obj.metadata.resourceVersion = String(rv++);
    store[plural].set(key, obj);
    emit(plural, existed ? 'MODIFIED' : 'ADDED', obj);
  };
  const remove = (plural: 'pods' | 'services', namespace: string, name: string) => {
    const key = `${namespace}/${name}`;
    const obj = store[plural].get(key);
    if (!obj) return false;
    store[plural].delete(key);
    obj.metadata.resourceVersion = String(rv++);
    emit(plural, 'DELETED', obj);
    return true;
  };
  const send = (res: ServerResponse, code: number, body: unknown) => {
    res.writeHead(code, { 'content-type': 'application/json' }).end(JSON.stringify(body));
  };
  const status = (res: ServerResponse, code: number, reason: string) => send(res, code, { kind: 'Status', apiVersion: 'v1', status: 'Failure', code, reason });
  async function body(req: IncomingMessage): Promise<Obj> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    return JSON.parse(Buffer.concat(chunks).toString() || '{}') as Obj;
  }
  const server: Server = createServer((req, res) => {
    void (async () => {
      const url = new URL(req.url ?? '/', 'http://x');
      const parts = url.pathname.split('/').filter(Boolean);
      // /api/v1/[namespaces/<ns>/]<plural>[/<name>] or /apis/workload.matrixinfer.ai/v1alpha1/namespaces/<ns>/modelinfers/<name>
      const nsIdx = parts.indexOf('namespaces');
      const ns = nsIdx >= 0 ? parts[nsIdx + 1] : undefined;
      const rest = nsIdx >= 0 ? parts.slice(nsIdx + 2) : parts.slice(2);
      const plural = rest[0] as keyof typeof store;
      const name = rest[1];
      if (!(plural in store)) return status(res, 404, 'NotFound');
      const items = () => [...store[plural].values()].filter((o) => (ns === undefined || o.metadata.namespace === ns) && (!url.searchParams.get('labelSelector') || o.metadata.labels?.[url.searchParams.get('labelSelector')!] !== undefined));
      if (req.method === 'GET' && name === undefined && url.searchParams.get('watch') === 'true') {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.flushHeaders();
        const w = { plural, res };
        watchers.add(w);
        req.on('close', () => watchers.delete(w));
        return;
      }
      // Subresources the stand-in kubelet uses: pods/<name>/binding and pods/<name>/status.
      if (plural === 'pods' && rest[2] !== undefined) {
        const o = store.pods.get(`${ns}/${name}`);
        if (!o) return status(res, 404, 'NotFound');
        const b = await body(req);
        if (req.method === 'POST' && rest[2] === 'binding') put('pods', { ...o, spec: { ...(o.spec as object), nodeName: (b as { target?: { name?: string } }).target?.name } });
        else if (req.method === 'PUT' && rest[2] === 'status') put('pods', { ...o, status: b.status });
        else return status(res, 405, 'MethodNotAllowed');
        return send(res, 200, store.pods.get(`${ns}/${name}`));
      }
      if (req.method === 'GET' && name === undefined) return send(res, 200, { kind: 'List', apiVersion: 'v1', metadata: { resourceVersion: String(rv) }, items: items() });
      if (req.method === 'GET') {
        const o = store[plural].get(`${ns}/${name}`);
        return o ? send(res, 200, o) : status(res, 404, 'NotFound');
      }
      if (req.method === 'POST') {
        const o = await body(req);
        o.metadata.namespace = ns!;
        if (store[plural].has(`${ns}/${o.metadata.name}`)) return status(res, 409, 'AlreadyExists');
        put(plural, o);
        return send(res, 201, o);
      }
      if (req.method === 'DELETE' && (plural === 'pods' || plural === 'services')) {
        const o = store[plural].get(`${ns}/${name}`);
        return remove(plural, ns!, name!) ? send(res, 200, o) : status(res, 404, 'NotFound');
      }
      return status(res, 405, 'MethodNotAllowed');
    })().catch((err: unknown) => status(res, 500, String(err)));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as { port: number }).port;
  const kc = new KubeConfig();
  kc.loadFromOptions({ clusters: [{ name: 'fake', server: `http://127.0.0.1:${port}`, skipTLSVerify: true }], users: [{ name: 'u' }], contexts: [{ name: 'c', cluster: 'fake', user: 'u' }], currentContext: 'c' });
  return {
    kubeConfig: kc,
    objects: (p) => [...store[p].values()],
    put,
    remove: (p, n, name) => void remove(p, n, name),
    async close() {
      for (const w of watchers) w.res.end();
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    },
  };
}
