// The storage semantics of kube-apiserver's generic registry over the in-memory store: create,
// update (main resource or /status), delete with preconditions, grace, finalizers and
// propagation; resourceVersion conflicts, generation, managedFields, pruning and defaulting of
// custom resources, and admission in the real order. Throws ApiStatusError for every refusal.
import type { AdmissionCaller } from './admission-types.js';
import { mutate, validateAdmission, type AdmissionRequest } from './admission.js';
import { evaluateRules } from './cel.js';
import { builtinCreateDefaults, nameProblems, nextGeneration, timestamp } from './meta.js';
import { crdProblems, Registry } from './registry.js';
import { applyDefaults, prune, validate } from './schema.js';
import { matchFields, matchLabels, parseFieldSelector, parseLabelSelector } from './selectors.js';
import { trackUpdate } from './ssa.js';
import { fail, type StatusCause } from './status.js';
import { ObjectStore, resourceKey } from './store.js';
import { apiVersionOf, groupResource, type KObject, type ManagedFieldsEntry, type ResourceType } from './types.js';

/** Per-request options of a write (query parameters and headers). */
export interface WriteOptions {
  dryRun: boolean;
  fieldManager?: string;
  fieldValidation: 'Strict' | 'Warn' | 'Ignore';
  /** Default field manager comes from the User-Agent prefix, as the real server does. */
  userAgent: string;
  /** Server-side apply: take fields from other managers. */
  force?: boolean;
}

/** A stored (or, under dry run, would-be stored) object and the warnings for the client. */
export interface WriteResult {
  object: KObject;
  warnings: string[];
  /** 201 rather than 200. */
  created?: boolean;
  /** Deleted outright (200) rather than marked for deletion (202). */
  deleted?: boolean;
}

/** metav1.DeleteOptions fields the server honours. */
export interface DeleteOptions {
  propagationPolicy?: 'Background' | 'Foreground' | 'Orphan';
  gracePeriodSeconds?: number;
  preconditions?: { uid?: string; resourceVersion?: string };
  orphanDependents?: boolean;
}

/** Server-computed managed fields for a write, or undefined to compute them from the change. */
export type ManagedOverride = ManagedFieldsEntry[] | undefined;

/** What the core needs from its server. */
export interface CoreDeps {
  store: ObjectStore;
  registry: Registry;
  admission?: AdmissionCaller;
  now: () => Date;
  newUid: () => string;
  /** Five characters for generateName. */
  randomSuffix: () => string;
  allocateIp: () => string;
  /** Called after every stored change (garbage collection, CRD registration). */
  changed: () => void;
}

const subject = (rt: ResourceType, name?: string) => ({ group: rt.group, kind: rt.plural, name });
const kindSubject = (rt: ResourceType, name?: string) => ({ group: rt.group, kind: rt.kind, name });
const meta = (o: KObject) => (o.metadata ??= {});

/** Unknown fields dropped from a custom resource: Strict refuses, Warn warns, Ignore drops silently. */
function pruneAndDefault(rt: ResourceType, o: KObject, validation: WriteOptions['fieldValidation'], warnings: string[]): void {
  if (!rt.schema) return;
  const dropped = prune(rt.schema, o);
  if (dropped.length > 0 && validation === 'Strict') {
    throw fail.badRequest(`${rt.kind} in version "${rt.version}" cannot be handled as a ${rt.kind}: strict decoding error: ${dropped.map((d) => `unknown field "${d}"`).join(', ')}`);
  }
  if (validation === 'Warn') for (const d of dropped) warnings.push(`unknown field "${d}"`);
  applyDefaults(rt.schema, o);
}

function causesOf(rt: ResourceType, o: KObject): StatusCause[] {
  const out = nameProblems(rt, o.metadata?.name);
  if (rt.schema) {
    out.push(...validate(rt.schema, o));
    if (out.length === 0) out.push(...evaluateRules(rt.schema, o));
  }
  if (rt.kind === 'CustomResourceDefinition' && rt.group === 'apiextensions.k8s.io') out.push(...crdProblems(o));
  return out;
}

/** The registry semantics over one store. */
export class ApiCore {
  constructor(private readonly d: CoreDeps) {}

  private key(rt: ResourceType): string {
    return resourceKey(rt);
  }

  /** Stored objects carry the served apiVersion and kind (one storage version per group here). */
  private present(rt: ResourceType, o: KObject): KObject {
    return { ...o, apiVersion: apiVersionOf(rt), kind: rt.kind };
  }

  /** GET of one object. */
  get(rt: ResourceType, ns: string, name: string): KObject {
    const o = this.d.store.get(this.key(rt), rt.namespaced ? ns : '', name);
    if (!o) throw fail.notFound(subject(rt, name));
    return this.present(rt, o);
  }

  /** Reads without a 404 (internal use). */
  find(rt: ResourceType, ns: string, name: string): KObject | undefined {
    const o = this.d.store.get(this.key(rt), rt.namespaced ? ns : '', name);
    return o && this.present(rt, o);
  }

  /** LIST with label and field selectors and limit/continue paging. */
  list(rt: ResourceType, ns: string | undefined, q: { labelSelector?: string; fieldSelector?: string; limit?: number; continue?: string }): { items: KObject[]; resourceVersion: string; continue?: string; remainingItemCount?: number } {
    const ls = parseLabelSelector(q.labelSelector ?? '');
    if (!ls.ok) throw fail.badRequest(`unable to parse requirement: ${ls.message}`);
    const fs = parseFieldSelector(q.fieldSelector ?? '', rt.kind);
    if (!fs.ok) throw fail.badRequest(fs.message);
    let items = this.d.store
      .list(this.key(rt), rt.namespaced ? ns : undefined)
      .map((o) => this.present(rt, o))
      .filter((o) => matchLabels(ls.value, o.metadata?.labels) && matchFields(fs.value, o));
    let rv = String(this.d.store.resourceVersion);
    if (q.continue) {
      let token: { rv: string; after: string };
      try {
        token = JSON.parse(Buffer.from(q.continue, 'base64').toString()) as { rv: string; after: string };
      } catch {
        throw fail.badRequest('continue key is not valid: illegal base64 data');
      }
      rv = token.rv;
      items = items.filter((o) => `${o.metadata?.namespace ?? ''}/${o.metadata?.name}` > token.after);
    }
    if (q.limit && q.limit > 0 && items.length > q.limit) {
      const page = items.slice(0, q.limit);
      const last = page[page.length - 1];
      const after = `${last.metadata?.namespace ?? ''}/${last.metadata?.name}`;
      return { items: page, resourceVersion: rv, continue: Buffer.from(JSON.stringify({ rv, after })).toString('base64'), remainingItemCount: items.length - page.length };
    }
    return { items, resourceVersion: rv };
  }

  private manager(o: WriteOptions): string {
    return o.fieldManager ?? (o.userAgent.split('/')[0] || 'unknown');
  }

  private checkNamespace(rt: ResourceType, ns: string): void {
    if (!rt.namespaced) return;
    const nsRt = this.d.registry.byPath('', 'v1', 'namespaces')!;
    const n = this.d.store.get(this.key(nsRt), '', ns);
    if (!n) throw fail.notFound({ group: '', kind: 'namespaces', name: ns });
    if (n.metadata?.deletionTimestamp) {
      const e = fail.conflict(subject(rt, ''), '');
      Object.assign(e.status, { code: 403, reason: 'Forbidden', message: `${groupResource(rt)} "${''}" is forbidden: unable to create new content in namespace ${ns} because it is being terminated`, details: { name: '', group: rt.group || undefined, kind: rt.plural, causes: [{ reason: 'NamespaceTerminating', message: `namespace ${ns} is being terminated`, field: 'metadata.namespace' }] } });
      throw e;
    }
  }

  private checkTypeMeta(rt: ResourceType, body: KObject): void {
    if (body.apiVersion !== undefined && body.apiVersion !== apiVersionOf(rt)) throw fail.badRequest(`the API version in the data (${body.apiVersion}) does not match the expected API version (${apiVersionOf(rt)})`);
    if (body.kind !== undefined && body.kind !== rt.kind) throw fail.badRequest(`the kind in the data (${body.kind}) does not match the expected kind (${rt.kind})`);
  }

  /** POST: a new object (managed fields from the change unless given, as for apply). */
  async create(rt: ResourceType, ns: string, body: KObject, o: WriteOptions, managed?: ManagedOverride): Promise<WriteResult> {
    if (!body || typeof body !== 'object' || Array.isArray(body)) throw fail.badRequest('the body of the request was not an object');
    this.checkTypeMeta(rt, body);
    const warnings: string[] = [];
    const obj: KObject = this.present(rt, structuredClone(body));
    const m = meta(obj);
    if (rt.namespaced) {
      if (m.namespace !== undefined && m.namespace !== '' && m.namespace !== ns) throw fail.badRequest('the namespace of the provided object does not match the namespace sent on the request');
      m.namespace = ns;
    } else delete m.namespace;
    if (!m.name && m.generateName) m.name = `${m.generateName}${this.d.randomSuffix()}`;
    this.checkNamespace(rt, ns);
    for (const k of ['uid', 'resourceVersion', 'deletionTimestamp', 'deletionGracePeriodSeconds', 'selfLink'] as const) delete m[k];
    m.uid = this.d.newUid();
    m.creationTimestamp = timestamp(this.d.now());
    builtinCreateDefaults(rt, obj, this.d.allocateIp);
    if (rt.status && !rt.builtin) delete obj.status;
    pruneAndDefault(rt, obj, o.fieldValidation, warnings);
    const gen = nextGeneration(rt, undefined, obj);
    if (gen !== undefined) m.generation = gen;
    m.managedFields = managed ?? trackUpdate(rt, undefined, obj, { manager: this.manager(o), apiVersion: apiVersionOf(rt), subresource: '', now: timestamp(this.d.now()) });
    const req: AdmissionRequest = { rt, operation: 'CREATE', subResource: '', namespace: ns, name: m.name ?? '', object: obj, dryRun: o.dryRun };
    let next = (await mutate(this.d.admission, req, warnings)) ?? obj;
    if (next !== obj) {
      next = this.present(rt, structuredClone(next));
      Object.assign(meta(next), { uid: m.uid, creationTimestamp: m.creationTimestamp, namespace: m.namespace, name: m.name, generation: m.generation, managedFields: m.managedFields });
      pruneAndDefault(rt, next, 'Ignore', warnings);
    }
    const causes = causesOf(rt, next);
    if (causes.length > 0) throw fail.invalid(kindSubject(rt, m.name), causes);
    if (this.d.store.get(this.key(rt), rt.namespaced ? ns : '', m.name!)) throw fail.alreadyExists(subject(rt, m.name));
    await validateAdmission(this.d.admission, { ...req, object: next }, warnings);
    if (o.dryRun) return { object: next, warnings, created: true };
    // Re-check: admission is async and another create may have landed meanwhile.
    if (this.d.store.get(this.key(rt), rt.namespaced ? ns : '', m.name!)) throw fail.alreadyExists(subject(rt, m.name));
    const stored = this.d.store.put(this.key(rt), next);
    this.d.changed();
    return { object: this.present(rt, stored), warnings, created: true };
  }

  /**
   * PUT (or the result of a patch): replaces the stored object. `sub` 'status' takes only the
   * status; the main resource keeps the stored status when status is a subresource.
   */
  async update(rt: ResourceType, ns: string, name: string, body: KObject, sub: '' | 'status', o: WriteOptions, opts: { managed?: ManagedOverride; requireResourceVersion?: boolean } = {}): Promise<WriteResult> {
    if (!body || typeof body !== 'object' || Array.isArray(body)) throw fail.badRequest('the body of the request was not an object');
    this.checkTypeMeta(rt, body);
    const old = this.find(rt, ns, name);
    if (!old) throw fail.notFound(subject(rt, name));
    const warnings: string[] = [];
    const bm = body.metadata ?? {};
    if (bm.name !== undefined && bm.name !== name) throw fail.badRequest(`the name of the object (${bm.name}) does not match the name on the URL (${name})`);
    if (rt.namespaced && bm.namespace && bm.namespace !== ns) throw fail.badRequest('the namespace of the provided object does not match the namespace sent on the request');
    if (bm.resourceVersion !== undefined && bm.resourceVersion !== '' && bm.resourceVersion !== old.metadata?.resourceVersion) throw fail.modified(subject(rt, name));
    if ((bm.resourceVersion === undefined || bm.resourceVersion === '') && opts.requireResourceVersion && !rt.builtin) {
      throw fail.invalid(kindSubject(rt, name), [{ reason: 'FieldValueInvalid', message: 'Invalid value: 0x0: must be specified for an update', field: 'metadata.resourceVersion' }]);
    }
    if (bm.uid !== undefined && bm.uid !== '' && bm.uid !== old.metadata?.uid) throw fail.conflict(subject(rt, name), `Precondition failed: UID in precondition: ${bm.uid}, UID in object meta: ${old.metadata?.uid}`);
    let next: KObject = this.present(rt, structuredClone(body));
    if (sub === 'status') {
      next = { ...structuredClone(old), status: next.status };
      if (next.status === undefined) delete next.status;
    } else if (rt.status) {
      if (old.status === undefined) delete next.status;
      else next.status = structuredClone(old.status);
    }
    const m = meta(next);
    const om = old.metadata ?? {};
    Object.assign(m, { name, uid: om.uid, creationTimestamp: om.creationTimestamp, resourceVersion: om.resourceVersion });
    if (rt.namespaced) m.namespace = ns;
    else delete m.namespace;
    if (om.deletionTimestamp) Object.assign(m, { deletionTimestamp: om.deletionTimestamp, deletionGracePeriodSeconds: om.deletionGracePeriodSeconds });
    else {
      delete m.deletionTimestamp;
      delete m.deletionGracePeriodSeconds;
    }
    if (sub === 'status' && !rt.builtin) m.managedFields = body.metadata?.managedFields ?? om.managedFields;
    pruneAndDefault(rt, next, o.fieldValidation, warnings);
    if (om.deletionTimestamp) {
      const added = (m.finalizers ?? []).filter((f) => !(om.finalizers ?? []).includes(f));
      if (added.length > 0) throw fail.invalid(kindSubject(rt, name), [{ reason: 'FieldValueForbidden', field: 'metadata.finalizers', message: `Forbidden: no new finalizers can be added if the object is being deleted, found new finalizers []string{${added.map((f) => JSON.stringify(f)).join(', ')}}` }]);
    }
    const gen = nextGeneration(rt, old, next);
    if (gen !== undefined) m.generation = gen;
    else delete m.generation;
    const givenManaged = JSON.stringify(bm.managedFields ?? om.managedFields) !== JSON.stringify(om.managedFields) && bm.managedFields !== undefined;
    const info = { manager: this.manager(o), apiVersion: apiVersionOf(rt), subresource: sub, now: timestamp(this.d.now()) };
    m.managedFields = opts.managed ?? (givenManaged ? bm.managedFields : trackUpdate(rt, old, next, info));
    if (m.managedFields?.length === 0) delete m.managedFields;
    const req: AdmissionRequest = { rt, operation: 'UPDATE', subResource: sub, namespace: ns, name, object: next, oldObject: old, dryRun: o.dryRun };
    let admitted = (await mutate(this.d.admission, req, warnings)) ?? next;
    if (admitted !== next) {
      admitted = this.present(rt, structuredClone(admitted));
      Object.assign(meta(admitted), { name, uid: om.uid, creationTimestamp: om.creationTimestamp, resourceVersion: om.resourceVersion, managedFields: m.managedFields, generation: m.generation });
      pruneAndDefault(rt, admitted, 'Ignore', warnings);
      const g = nextGeneration(rt, old, admitted);
      if (g !== undefined) meta(admitted).generation = g;
    }
    const causes = causesOf(rt, admitted);
    if (causes.length > 0) throw fail.invalid(kindSubject(rt, name), causes);
    await validateAdmission(this.d.admission, { ...req, object: admitted }, warnings);
    if (o.dryRun) return { object: admitted, warnings };
    const current = this.find(rt, ns, name);
    if (!current || current.metadata?.resourceVersion !== om.resourceVersion) throw fail.modified(subject(rt, name));
    if (om.deletionTimestamp && (meta(admitted).finalizers ?? []).length === 0 && !(rt.builtin && rt.kind === 'Namespace')) {
      const gone = this.d.store.remove(this.key(rt), rt.namespaced ? ns : '', name)!;
      this.d.changed();
      return { object: this.present(rt, gone), warnings, deleted: true };
    }
    // As kube-apiserver: an update that changes nothing (managedFields aside) is not written,
    // so the resourceVersion stays and no watch event is sent.
    if (sameButManaged(current, admitted)) return { object: this.present(rt, current), warnings };
    const stored = this.d.store.put(this.key(rt), admitted);
    this.d.changed();
    return { object: this.present(rt, stored), warnings };
  }

  /** DELETE of one object: preconditions, admission, then grace, finalizers or removal. */
  async delete(rt: ResourceType, ns: string, name: string, opts: DeleteOptions, o: WriteOptions): Promise<WriteResult> {
    const old = this.find(rt, ns, name);
    if (!old) throw fail.notFound(subject(rt, name));
    const om = old.metadata ?? {};
    const pre = opts.preconditions ?? {};
    if (pre.uid && pre.uid !== om.uid) throw fail.conflict(subject(rt, name), `Precondition failed: UID in precondition: ${pre.uid}, UID in object meta: ${om.uid}`);
    if (pre.resourceVersion && pre.resourceVersion !== om.resourceVersion) throw fail.conflict(subject(rt, name), `Precondition failed: ResourceVersion in precondition: ${pre.resourceVersion}, ResourceVersion in object meta: ${om.resourceVersion}`);
    const warnings: string[] = [];
    const req: AdmissionRequest = { rt, operation: 'DELETE', subResource: '', namespace: ns, name, oldObject: old, dryRun: o.dryRun };
    await mutate(this.d.admission, req, warnings);
    await validateAdmission(this.d.admission, req, warnings);
    const next = structuredClone(old);
    const m = meta(next);
    const policy = opts.propagationPolicy ?? (opts.orphanDependents === true ? 'Orphan' : undefined);
    const finalizers = new Set(m.finalizers ?? []);
    if (policy === 'Foreground') {
      finalizers.add('foregroundDeletion');
      finalizers.delete('orphan');
    } else if (policy === 'Orphan') {
      finalizers.add('orphan');
      finalizers.delete('foregroundDeletion');
    } else if (policy === 'Background') {
      finalizers.delete('foregroundDeletion');
      finalizers.delete('orphan');
    }
    const nowDate = this.d.now();
    let grace = 0;
    if (rt.builtin && rt.kind === 'Pod') {
      const spec = (old.spec ?? {}) as { nodeName?: string; terminationGracePeriodSeconds?: number };
      const phase = (old.status as { phase?: string } | undefined)?.phase;
      // The real server deletes unscheduled and finished pods at once; a kubelet confirms the rest.
      if (spec.nodeName && phase !== 'Succeeded' && phase !== 'Failed') grace = opts.gracePeriodSeconds ?? om.deletionGracePeriodSeconds ?? spec.terminationGracePeriodSeconds ?? 30;
      if (om.deletionGracePeriodSeconds !== undefined && grace > om.deletionGracePeriodSeconds) grace = om.deletionGracePeriodSeconds;
    }
    m.finalizers = [...finalizers];
    if (m.finalizers.length === 0) delete m.finalizers;
    // A namespace waits for its content to go (spec.finalizers, done by the namespace cleanup).
    const isNamespace = rt.builtin && rt.kind === 'Namespace';
    if (finalizers.size === 0 && grace === 0 && !isNamespace) {
      if (o.dryRun) return { object: next, warnings, deleted: true };
      const gone = this.d.store.remove(this.key(rt), rt.namespaced ? ns : '', name)!;
      this.d.changed();
      return { object: this.present(rt, gone), warnings, deleted: true };
    }
    if (!m.deletionTimestamp || grace < (m.deletionGracePeriodSeconds ?? Infinity)) {
      m.deletionTimestamp = timestamp(new Date(nowDate.getTime() + grace * 1000));
      m.deletionGracePeriodSeconds = grace;
    }
    if (isNamespace) next.status = { ...(next.status as object), phase: 'Terminating' };
    if (o.dryRun) return { object: next, warnings };
    if (JSON.stringify(next) === JSON.stringify(old)) return { object: old, warnings };
    const stored = this.d.store.put(this.key(rt), next);
    this.d.changed();
    return { object: this.present(rt, stored), warnings };
  }
}

function withoutVolatile(o: KObject): unknown {
  const { managedFields: _m, resourceVersion: _rv, ...metadata } = (o.metadata ?? {}) as Record<string, unknown>;
  void _m;
  void _rv;
  return { ...o, metadata };
}

/** True when two versions differ at most in managedFields and resourceVersion. */
function sameButManaged(a: KObject, b: KObject): boolean {
  return stableJson(withoutVolatile(a)) === stableJson(withoutVolatile(b));
}

function stableJson(v: unknown): string {
  return JSON.stringify(v, (_k, x: unknown) => (x && typeof x === 'object' && !Array.isArray(x) ? Object.fromEntries(Object.entries(x as Record<string, unknown>).sort(([p], [q]) => (p < q ? -1 : p > q ? 1 : 0))) : x));
}
