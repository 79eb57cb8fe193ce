// The resource verbs over HTTP: get, list (JSON or Table), watch, create, update, patch (JSON,
// merge, strategic, server-side apply), delete and deletecollection, on the main resource and
// on status, scale and binding subresources. Decisions stay in the cores; this file maps
// requests to them and their results to answers.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ApiCore, WriteOptions } from './core.js';
import { deleteOptions, parseBody, readBody, sendJson, writeOptions } from './http-util.js';
import { jsonPatch, mergePatch, PatchError, strategicMergePatch } from './patch.js';
import type { Registry } from './registry.js';
import { fromScale, toScale } from './scale.js';
import { matchFields, matchLabels, parseFieldSelector, parseLabelSelector } from './selectors.js';
import { describePath, fieldSetOf, valueAt } from './fieldset.js';
import { serverSideApply, type ApplyConflict } from './ssa.js';
import { fail, success } from './status.js';
import { resourceKey, type ObjectStore } from './store.js';
import { toTable, wantsTable, type IncludeObject } from './table.js';
import { apiVersionOf, type KObject, type ResourceType } from './types.js';
import { serveWatch } from './watch.js';
import { timestamp } from './meta.js';

/** What the handlers need from their server. */
export interface HandlerDeps {
  core: ApiCore;
  store: ObjectStore;
  registry: Registry;
  now: () => Date;
  bookmarkMs: number;
  /** Aborts when live watches must end (server stop, compaction). */
  watchSignal: () => AbortSignal;
}

/** A resource request after routing. */
export interface ResourceRequest {
  rt: ResourceType;
  namespace?: string;
  name?: string;
  subresource?: string;
}

const PATCH_TYPES = ['application/json-patch+json', 'application/merge-patch+json', 'application/strategic-merge-patch+json', 'application/apply-patch+yaml'];

const subject = (rt: ResourceType, name?: string) => ({ group: rt.group, kind: rt.plural, name });

/** Handles one resource request (errors thrown as ApiStatusError). */
export async function handleResource(d: HandlerDeps, req: IncomingMessage, res: ServerResponse, q: URLSearchParams, r: ResourceRequest): Promise<void> {
  const { rt, name, subresource: sub } = r;
  if (rt.namespaced === false && r.namespace !== undefined) throw fail.noRoute();
  const ns = rt.namespaced ? (r.namespace ?? '') : '';
  if (sub !== undefined && !((sub === 'status' && rt.status) || (sub === 'scale' && rt.scale) || (sub === 'binding' && rt.binding))) throw fail.noRoute();
  const method = req.method ?? 'GET';
  if (name === undefined) {
    if (method === 'GET') return q.get('watch') === 'true' || q.get('watch') === '1' ? watch(d, req, res, q, rt, r.namespace) : list(d, req, res, q, rt, r.namespace);
    if (method === 'POST') {
      if (rt.namespaced && r.namespace === undefined) throw fail.methodNotAllowed();
      const body = parseBody(await readBody(req)) as KObject;
      const out = await d.core.create(rt, ns, body, writeOptions(q, req.headers['user-agent']));
      return sendJson(res, 201, out.object, out.warnings);
    }
    if (method === 'DELETE') return deleteCollection(d, req, res, q, rt, ns);
    throw fail.methodNotAllowed();
  }
  if (rt.namespaced && r.namespace === undefined) throw fail.noRoute();
  switch (method) {
    case 'GET': {
      const o = d.core.get(rt, ns, name);
      if (sub === 'scale') return sendJson(res, 200, toScale(o, rt.scale!));
      if (wantsTable(req.headers.accept)) return sendJson(res, 200, toTable(rt, [o], { resourceVersion: o.metadata?.resourceVersion }, includeOf(q), d.now().getTime()));
      return sendJson(res, 200, o);
    }
    case 'POST': {
      if (sub !== 'binding') throw fail.methodNotAllowed();
      const binding = parseBody(await readBody(req)) as { target?: { name?: string } } | undefined;
      const node = binding?.target?.name;
      if (!node) throw fail.invalid({ group: '', kind: 'Binding', name }, [{ reason: 'FieldValueRequired', field: 'target.name', message: 'Required value' }]);
      const pod = d.core.get(rt, ns, name);
      const spec = (pod.spec ?? {}) as { nodeName?: string };
      if (spec.nodeName) throw fail.conflict(subject(rt, name), `pod ${name} is already assigned to node "${spec.nodeName}"`);
      pod.spec = { ...spec, nodeName: node };
      await d.core.update(rt, ns, name, pod, '', writeOptions(q, req.headers['user-agent']));
      return sendJson(res, 201, success());
    }
    case 'PUT': {
      const body = parseBody(await readBody(req)) as KObject;
      const o = writeOptions(q, req.headers['user-agent']);
      if (sub === 'scale') {
        const live = d.core.get(rt, ns, name);
        const out = await d.core.update(rt, ns, name, fromScale(live, body, rt.scale!), '', o);
        return sendJson(res, 200, toScale(out.object, rt.scale!), out.warnings);
      }
      const out = await d.core.update(rt, ns, name, body, sub === 'status' ? 'status' : '', o, { requireResourceVersion: false });
      return sendJson(res, out.created ? 201 : 200, out.object, out.warnings);
    }
    case 'PATCH':
      return patch(d, req, res, q, rt, ns, name, sub);
    case 'DELETE': {
      if (sub !== undefined) throw fail.methodNotAllowed();
      const body = parseBody(await readBody(req));
      const opts = deleteOptions(q, body);
      const out = await d.core.delete(rt, ns, name, opts, writeOptions(q, req.headers['user-agent'], { dryRun: opts.dryRun }));
      return sendJson(res, out.deleted ? 200 : 202, out.object, out.warnings);
    }
    default:
      throw fail.methodNotAllowed();
  }
}

function includeOf(q: URLSearchParams): IncludeObject {
  const v = q.get('includeObject') ?? 'PartialObjectMetadata';
  if (v !== 'None' && v !== 'Object' && v !== 'PartialObjectMetadata') throw fail.badRequest(`includeObject ${JSON.stringify(v)} is invalid`);
  return v;
}

function selectorsOf(q: URLSearchParams, rt: ResourceType): (o: KObject) => boolean {
  const ls = parseLabelSelector(q.get('labelSelector') ?? '');
  if (!ls.ok) throw fail.badRequest(`unable to parse requirement: ${ls.message}`);
  const fs = parseFieldSelector(q.get('fieldSelector') ?? '', rt.kind);
  if (!fs.ok) throw fail.badRequest(fs.message);
  return (o) => matchLabels(ls.value, o.metadata?.labels) && matchFields(fs.value, o);
}

function list(d: HandlerDeps, req: IncomingMessage, res: ServerResponse, q: URLSearchParams, rt: ResourceType, ns: string | undefined): void {
  const limit = q.get('limit') ? Number(q.get('limit')) : undefined;
  const out = d.core.list(rt, ns, { labelSelector: q.get('labelSelector') ?? undefined, fieldSelector: q.get('fieldSelector') ?? undefined, limit, continue: q.get('continue') ?? undefined });
  const meta = { resourceVersion: out.resourceVersion, ...(out.continue ? { continue: out.continue, remainingItemCount: out.remainingItemCount } : {}) };
  if (wantsTable(req.headers.accept)) return sendJson(res, 200, toTable(rt, out.items, meta, includeOf(q), d.now().getTime()));
  sendJson(res, 200, { kind: rt.listKind, apiVersion: apiVersionOf(rt), metadata: meta, items: out.items });
}

function watch(d: HandlerDeps, req: IncomingMessage, res: ServerResponse, q: URLSearchParams, rt: ResourceType, ns: string | undefined): void {
  const match = selectorsOf(q, rt);
  const present = (o: KObject): KObject => ({ ...o, apiVersion: apiVersionOf(rt), kind: rt.kind });
  const t = q.get('timeoutSeconds');
  serveWatch(
    req,
    res,
    d.store,
    {
      resource: resourceKey(rt),
      namespace: rt.namespaced ? ns : undefined,
      resourceVersion: q.get('resourceVersion') ?? undefined,
      match,
      present,
      initial: () => d.core.list(rt, ns, {}).items,
      bookmarks: q.get('allowWatchBookmarks') === 'true',
      bookmarkKind: { apiVersion: apiVersionOf(rt), kind: rt.kind },
      bookmarkMs: d.bookmarkMs,
      timeoutMs: t !== null && Number(t) > 0 ? Number(t) * 1000 : undefined,
    },
    d.watchSignal(),
  );
}

async function deleteCollection(d: HandlerDeps, req: IncomingMessage, res: ServerResponse, q: URLSearchParams, rt: ResourceType, ns: string): Promise<void> {
  const body = parseBody(await readBody(req));
  const opts = deleteOptions(q, body);
  const o = writeOptions(q, req.headers['user-agent'], { dryRun: opts.dryRun });
  const items = d.core.list(rt, rt.namespaced ? ns : undefined, { labelSelector: q.get('labelSelector') ?? undefined, fieldSelector: q.get('fieldSelector') ?? undefined }).items;
  const warnings: string[] = [];
  for (const it of items) {
    const out = await d.core.delete(rt, it.metadata?.namespace ?? '', it.metadata!.name!, opts, o).catch((e: unknown) => {
      if ((e as { status?: { code?: number } }).status?.code === 404) return undefined;
      throw e;
    });
    if (out) warnings.push(...out.warnings);
  }
  sendJson(res, 200, { kind: rt.listKind, apiVersion: apiVersionOf(rt), metadata: { resourceVersion: String(d.store.resourceVersion) }, items }, warnings);
}

function patchError(e: unknown): never {
  if (e instanceof PatchError) {
    if (e.invalid) throw fail.invalid({ group: '', kind: 'Patch' }, [{ reason: 'FieldValueInvalid', message: e.message }]);
    throw fail.badRequest(e.message);
  }
  throw e;
}

async function patch(d: HandlerDeps, req: IncomingMessage, res: ServerResponse, q: URLSearchParams, rt: ResourceType, ns: string, name: string, sub: string | undefined): Promise<void> {
  const type = (req.headers['content-type'] ?? '').split(';')[0].trim();
  if (!PATCH_TYPES.includes(type)) throw fail.unsupportedMediaType(type);
  if (sub === 'binding') throw fail.methodNotAllowed();
  if (type === 'application/strategic-merge-patch+json' && !rt.builtin) throw fail.unsupportedMediaType(type);
  const o = writeOptions(q, req.headers['user-agent']);
  const body = parseBody(await readBody(req), type === 'application/apply-patch+yaml');
  if (body === undefined || body === null) throw fail.badRequest('the body of the request was empty');
  if (type === 'application/apply-patch+yaml') return apply(d, res, rt, ns, name, sub, body as KObject, o);
  // The real server retries a patch without a resourceVersion precondition when a write raced it.
  for (let attempt = 0; ; attempt++) {
    const live = d.core.get(rt, ns, name);
    const base = sub === 'scale' ? toScale(live, rt.scale!) : live;
    let patched: KObject;
    try {
      patched = (type === 'application/json-patch+json' ? jsonPatch(base, body) : type === 'application/merge-patch+json' ? mergePatch(base, body) : strategicMergePatch(rt, base, body)) as KObject;
    } catch (e) {
      patchError(e);
    }
    try {
      if (sub === 'scale') {
        const out = await d.core.update(rt, ns, name, fromScale(live, patched, rt.scale!), '', o);
        return sendJson(res, 200, toScale(out.object, rt.scale!), out.warnings);
      }
      const out = await d.core.update(rt, ns, name, patched, sub === 'status' ? 'status' : '', o);
      return sendJson(res, 200, out.object, out.warnings);
    } catch (e) {
      const explicit = (body as { metadata?: { resourceVersion?: string } }).metadata?.resourceVersion !== undefined;
      if ((e as { status?: { code?: number; reason?: string } }).status?.reason === 'Conflict' && !explicit && attempt < 5) continue;
      throw e;
    }
  }
}

const CSA_MANAGER = 'kubectl-client-side-apply';
const LAST_APPLIED = 'kubectl.kubernetes.io/last-applied-configuration';

/**
 * The real server's upgrade path from client-side to server-side apply: a conflict with the
 * client-side apply manager is no conflict when the applied value equals the one in the
 * last-applied annotation (the user's intent did not change, only the tool did).
 */
function csaUpgradeAllowed(rt: ResourceType, live: KObject | undefined, applied: KObject, c: ApplyConflict): boolean {
  if (c.manager !== CSA_MANAGER) return false;
  const text = live?.metadata?.annotations?.[LAST_APPLIED];
  if (!text) return false;
  let last: KObject;
  try {
    last = JSON.parse(text) as KObject;
  } catch {
    return false;
  }
  const path = fieldSetOf(rt, applied, '').paths().find((p) => describePath(p) === c.field);
  return path !== undefined && JSON.stringify(valueAt(applied, path)) === JSON.stringify(valueAt(last, path));
}

async function apply(d: HandlerDeps, res: ServerResponse, rt: ResourceType, ns: string, name: string, sub: string | undefined, applied: KObject, o: WriteOptions): Promise<void> {
  if (!o.fieldManager) throw fail.badRequest('PATCH, application/apply-patch+yaml requests require fieldManager to be set');
  if (typeof applied !== 'object' || Array.isArray(applied)) throw fail.badRequest('the body of the request was not an object');
  if (applied.apiVersion !== apiVersionOf(rt) || applied.kind !== rt.kind) throw fail.badRequest(`the API version and kind in the data (${applied.apiVersion}, ${applied.kind}) do not match the expected ones (${apiVersionOf(rt)}, ${rt.kind})`);
  if (applied.metadata?.name !== undefined && applied.metadata.name !== name) throw fail.badRequest(`the name of the object (${applied.metadata.name}) does not match the name on the URL (${name})`);
  if (sub === 'scale') throw fail.methodNotAllowed('apply is not supported on the scale subresource here; patch spec.replicas of the object instead');
  const subresource = sub === 'status' ? 'status' : '';
  const live = d.core.find(rt, ns, name);
  const r = serverSideApply(rt, live, { ...applied, metadata: { ...applied.metadata, name, ...(rt.namespaced ? { namespace: ns } : {}) } }, { manager: o.fieldManager, apiVersion: apiVersionOf(rt), subresource, now: timestamp(d.now()) }, o.force === true);
  if (!r.ok) {
    const real = r.conflicts.filter((c) => !csaUpgradeAllowed(rt, live, applied, c));
    if (real.length > 0) throw fail.applyConflict(subject(rt, name), real);
    return apply(d, res, rt, ns, name, sub, applied, { ...o, force: true });
  }
  if (!live) {
    if (subresource === 'status') throw fail.notFound(subject(rt, name));
    const out = await d.core.create(rt, ns, r.object, o, r.managedFields);
    return sendJson(res, 201, out.object, out.warnings);
  }
  const next = { ...r.object, metadata: { ...(r.object.metadata as object), resourceVersion: live.metadata?.resourceVersion } };
  const out = await d.core.update(rt, ns, name, next, subresource, o, { managed: r.managedFields });
  sendJson(res, 200, out.object, out.warnings);
}
