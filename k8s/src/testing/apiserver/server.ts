// The in-process Kubernetes API server of the test suites: HTTP on 127.0.0.1 with discovery,
// OpenAPI v3, the resource verbs and watches over the faithful cores, CRDs registered from
// their YAML, in-server controllers (CRD establishment, garbage collection, namespace cleanup),
// a kubeconfig file for real kubectl and a ready KubeConfig for @kubernetes/client-node.
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';
import { parseAllDocuments } from 'yaml';
import type { AdmissionCaller } from './admission-types.js';
import { InServerControllers } from './controllers.js';
import { ApiCore } from './core.js';
import { apiGroup, apiGroupList, apiResourceList, apiVersions, SERVER_VERSION } from './discovery.js';
import { InvalidTestApiServerOptionError } from './errors.js';
import { handleResource } from './handlers.js';
import { sendError, sendJson } from './http-util.js';
import { openapiV3Doc, openapiV3Root } from './openapi.js';
import { Registry } from './registry.js';
import { routeOf } from './routes.js';
import { fail } from './status.js';
import { ObjectStore, resourceKey } from './store.js';
import type { KObject } from './types.js';

/** What the admission factory may read: the webhook configurations currently stored. */
export interface AdmissionContext {
  webhookConfigurations(kind: 'ValidatingWebhookConfiguration' | 'MutatingWebhookConfiguration'): KObject[];
  /** Labels of a stored namespace (for webhooks' namespaceSelector), undefined when it does not exist. */
  namespaceLabels(name: string): Record<string, string> | undefined;
}

/** Options of startTestApiServer. */
export interface TestApiServerOptions {
  /** CRDs served from the start: YAML file paths (multi-document) or CRD objects. */
  crds?: (string | KObject)[];
  /** Builds the admission chain (e.g. the HTTPS webhook caller) over the stored configurations. */
  admission?: (ctx: AdmissionContext) => AdmissionCaller;
  /** Namespaces created at start (default: default, kube-system, kube-public). */
  namespaces?: string[];
  /** Bookmark period of watches that ask for bookmarks (default 1 s). */
  bookmarkMs?: number;
  now?: () => Date;
  /** Where errors of the in-server controllers go (default: stderr). */
  onError?: (err: unknown) => void;
}

/** A running test API server. */
export interface TestApiServer {
  /** http://127.0.0.1:<port> */
  url: string;
  kubeConfig: KubeConfig;
  /** A kubeconfig file for kubectl (`--kubeconfig`). */
  kubeconfigPath: string;
  /** A directory for kubectl's discovery cache (`--cache-dir`), removed on stop. */
  cacheDir: string;
  /** Forgets watch history and ends live watches: resuming from any resourceVersion handed out so far gets 410 Gone. */
  compact(): void;
  /** Resolves once the in-server controllers have nothing left to do. */
  settle(): Promise<void>;
  /** Direct access for assertions. */
  core: ApiCore;
  registry: Registry;
  store: ObjectStore;
  /** Ends every watch and closes the server; removes its files. */
  stop(): Promise<void>;
}

function crdObjects(src: string | KObject): KObject[] {
  if (typeof src !== 'string') return [src];
  let text: string;
  try {
    text = readFileSync(src, 'utf8');
  } catch (e) {
    throw new InvalidTestApiServerOptionError(`cannot read CRD file ${src}: ${(e as Error).message}`, { cause: e });
  }
  const docs = parseAllDocuments(text).map((d) => d.toJS() as KObject | null).filter((d): d is KObject => d !== null);
  const bad = docs.find((d) => d.kind !== 'CustomResourceDefinition');
  if (bad) throw new InvalidTestApiServerOptionError(`${src}: expected CustomResourceDefinition documents, found kind ${String(bad.kind)}`);
  return docs;
}

function kubeconfigYaml(url: string): string {
  return [
    'apiVersion: v1',
    'kind: Config',
    'clusters:',
    '- name: mi-test',
    // client-node refuses plain HTTP unless TLS verification is off (there is no TLS to verify).
    `  cluster: { server: "${url}", insecure-skip-tls-verify: true }`,
    'users:',
    '- name: mi-test-admin',
    '  user: {}',
    'contexts:',
    '- name: mi-test',
    '  context: { cluster: mi-test, user: mi-test-admin, namespace: default }',
    'current-context: mi-test',
    '',
  ].join('\n');
}

/** Starts a test API server on a free 127.0.0.1 port. */
export async function startTestApiServer(opts: TestApiServerOptions = {}): Promise<TestApiServer> {
  const now = opts.now ?? (() => new Date());
  const store = new ObjectStore();
  const registry = new Registry();
  let ipSeq = 0;
  const ctx: AdmissionContext = {
    webhookConfigurations: (kind) => store.list(resourceKey({ group: 'admissionregistration.k8s.io', plural: kind === 'ValidatingWebhookConfiguration' ? 'validatingwebhookconfigurations' : 'mutatingwebhookconfigurations' })).map((o) => ({ ...o, apiVersion: 'admissionregistration.k8s.io/v1', kind })),
    namespaceLabels: (name) => {
      const ns = store.get(resourceKey({ group: '', plural: 'namespaces' }), '', name);
      return ns ? ((ns.metadata as { labels?: Record<string, string> } | undefined)?.labels ?? {}) : undefined;
    },
  };
  // The core and the controllers need each other: the core pokes them after every change.
  const ref: { controllers?: InServerControllers } = {};
  const core = new ApiCore({
    store,
    registry,
    admission: opts.admission?.(ctx),
    now,
    newUid: randomUUID,
    randomSuffix: () => randomBytes(8).toString('base64').replace(/[^a-z0-9]/g, '').slice(0, 5).padEnd(5, 'x'),
    allocateIp: () => `10.96.${Math.floor(++ipSeq / 250)}.${(ipSeq % 250) + 1}`,
    changed: () => ref.controllers?.poke(),
  });
  const controllers = (ref.controllers = new InServerControllers({ core, store, registry, now, onError: opts.onError ?? ((e) => process.stderr.write(`test apiserver controller: ${(e as Error).message}\n`)) }));
  const sys = { dryRun: false, fieldValidation: 'Strict' as const, userAgent: 'kube-apiserver' };
  const nsRt = registry.byPath('', 'v1', 'namespaces')!;
  for (const n of opts.namespaces ?? ['default', 'kube-system', 'kube-public']) await core.create(nsRt, '', { metadata: { name: n } }, sys);
  const crdRt = registry.byPath('apiextensions.k8s.io', 'v1', 'customresourcedefinitions')!;
  for (const src of opts.crds ?? []) for (const crd of crdObjects(src)) await core.create(crdRt, '', crd, sys);
  await controllers.idle();

  // Watches end on stop and on compact(), so clients resume from a compacted revision and get 410.
  let watches = new AbortController();
  const deps = { core, store, registry, now, bookmarkMs: opts.bookmarkMs ?? 1000, watchSignal: () => watches.signal };
  let hostPort = '';
  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const u = new URL(req.url ?? '/', 'http://x');
    const r = routeOf(u.pathname);
    switch (r.type) {
      case 'version':
        return sendJson(res, 200, SERVER_VERSION);
      case 'healthz':
        res.writeHead(200, { 'Content-Type': 'text/plain' });
        return void res.end('ok');
      case 'apiVersions':
        return sendJson(res, 200, apiVersions(hostPort));
      case 'apiGroups':
        return sendJson(res, 200, apiGroupList(registry));
      case 'group': {
        const g = apiGroup(registry, r.group);
        if (!g) throw fail.noRoute();
        return sendJson(res, 200, g);
      }
      case 'groupVersion': {
        const l = apiResourceList(registry, r.group, r.version);
        if (!l) throw fail.noRoute();
        return sendJson(res, 200, l);
      }
      case 'openapiV3Root':
        return sendJson(res, 200, openapiV3Root(registry));
      case 'openapiV3': {
        const doc = openapiV3Doc(registry, r.path);
        if (!doc) throw fail.noRoute();
        return sendJson(res, 200, doc);
      }
      case 'resource': {
        const rt = registry.byPath(r.group, r.version, r.plural);
        if (!rt) throw fail.noRoute();
        return handleResource(deps, req, res, u.searchParams, { rt, namespace: r.namespace, name: r.name, subresource: r.subresource });
      }
      default:
        throw fail.noRoute();
    }
  };
  const server = createServer((req, res) => {
    handle(req, res).catch((e: unknown) => sendError(res, e));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  hostPort = `127.0.0.1:${port}`;
  const url = `http://${hostPort}`;
  const dir = mkdtempSync(join(tmpdir(), 'mi-test-apiserver-'));
  const kubeconfigPath = join(dir, 'kubeconfig');
  writeFileSync(kubeconfigPath, kubeconfigYaml(url));
  const kubeConfig = new KubeConfig();
  kubeConfig.loadFromFile(kubeconfigPath);
  return {
    url,
    kubeConfig,
    kubeconfigPath,
    cacheDir: join(dir, 'cache'),
    compact: () => {
      store.compact();
      watches.abort();
      watches = new AbortController();
    },
    settle: () => controllers.idle(),
    core,
    registry,
    store,
    async stop() {
      watches.abort();
      await controllers.stop();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
