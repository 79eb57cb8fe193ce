// The submission core shared by the HTTP API and the `mi` CLI: validate every document first
// (nothing is written when one is invalid), then apply them in order with optimistic
// concurrency; read resources back with their materialized status from `mi-status`.
import { DEFAULT_NAMESPACE, statusKey, type ApplyResult, type ResourceInput, type ResourceStore, type StoredResource } from '@matrixinfer/events';
import { DocumentParseError, parseDocuments, resolveKind, updateIssues, validateResource, type AutoscalingPolicy, type KindName, type ParsedDocument } from '@matrixinfer/schemas';
import { validateScalingPolicy } from '../autoscaler/policy.js';
import { classifyDocument, parseCoreObject, type CoreObject } from './core-objects.js';
import { InvalidResourcesError, NotFoundError, type SubmitProblem } from './errors.js';

/** One manifest text with the name it is reported under (file, `-`, `request`). */
export interface ManifestText {
  text: string;
  source: string;
}

/** A document that passed validation (defaults applied), with where it came from. */
export interface ValidatedDoc {
  source: string;
  /** 0-based document number in its source. */
  index: number;
  resource: ResourceInput;
}

/** A valid Secret or ConfigMap of a manifest (stored by `mi apply`, see core-store.ts). */
export interface ValidatedCoreObject {
  source: string;
  index: number;
  object: CoreObject;
}

/** A Kubernetes document of another kind (Deployment, Service, ...) that `mi apply` skips. */
export interface SkippedDoc {
  source: string;
  index: number;
  apiVersion: string;
  kind: string;
  name: string;
}

/** Everything of a mixed manifest set: our resources, Secrets/ConfigMaps, skipped core kinds. */
export interface MixedManifests {
  docs: ValidatedDoc[];
  coreObjects: ValidatedCoreObject[];
  skipped: SkippedDoc[];
}

/** Identity of a resource as the CLI prints it. */
export interface ResourceId {
  kind: string;
  namespace: string;
  name: string;
}

export interface ApplyOutcomeView extends ResourceId {
  result: ApplyResult;
  resourceVersion: string;
}

export interface DeleteOutcomeView extends ResourceId {
  result: 'deleted';
}

/** Reads a materialized status (from the `mi-status` bucket): the JSON value or null. */
export type StatusReader = (key: string) => Promise<unknown | null>;

export interface ResourceService {
  /** Parses and validates every document of every text; InvalidResourcesError listing every problem. */
  validate(texts: ManifestText[], opts?: { namespace?: string }): ValidatedDoc[];
  /**
   * Applies validated docs in order; stops at the first failure (earlier ones stay applied).
   * `traceparent`: the W3C trace context of the request, carried by the desired events (and on
   * into the decisions they cause).
   */
  apply(docs: ValidatedDoc[], opts?: { traceparent?: string }): Promise<ApplyOutcomeView[]>;
  /** InvalidResourcesError when a doc would change an immutable field of what is stored (apply runs it first). */
  checkUpdates(docs: ValidatedDoc[]): Promise<void>;
  /** One resource with its status; NotFoundError when absent. */
  get(kindInput: string, namespace: string | undefined, name: string): Promise<StoredResource>;
  /** Resources of a kind (every namespace when `namespace` is undefined), with status. */
  list(kindInput: string, namespace: string | undefined): Promise<StoredResource[]>;
  /** Deletes (tombstone); NotFoundError when absent. */
  delete(kindInput: string, namespace: string | undefined, name: string, opts?: { traceparent?: string }): Promise<DeleteOutcomeView>;
  identify(r: ResourceInput | StoredResource): ResourceId;
  /** Throws (KubernetesModeError) when writes are refused; apply and delete check it themselves. */
  checkWritable(what: string): Promise<void>;
  /** True while the backing NATS connection is usable. */
  ready(): boolean;
}

export interface ResourceServiceOptions {
  store: ResourceStore;
  /** Status lookup; when omitted resources are returned with the status they were stored with. */
  readStatus?: StatusReader;
  ready?: () => boolean;
  /** Refuses writes by throwing (Kubernetes mode); none: always writable. */
  guardWrite?: (what: string) => Promise<void>;
}

function describeDoc(raw: unknown): { kind?: string; name?: string; namespace?: string } {
  if (typeof raw !== 'object' || raw === null) return {};
  const r = raw as { kind?: unknown; metadata?: { name?: unknown; namespace?: unknown } };
  return {
    kind: typeof r.kind === 'string' ? r.kind : undefined,
    name: typeof r.metadata?.name === 'string' ? r.metadata.name : undefined,
    namespace: typeof r.metadata?.namespace === 'string' ? r.metadata.namespace : undefined,
  };
}

/** Largest document accepted, as JSON bytes: one event on MI_DESIRED, under NATS's default 1 MiB max_payload with room for the envelope. */
export const MAX_RESOURCE_BYTES = 768 * 1024;

/**
 * Parses and validates all texts; returns the validated docs or throws InvalidResourcesError
 * with every problem of every document. `namespace` (the `-n` flag) fills documents that name
 * none and conflicts with documents that name another one.
 */
export function validateManifests(texts: ManifestText[], opts: { namespace?: string } = {}): ValidatedDoc[] {
  return collect(texts, opts, false).docs;
}

/**
 * As validateManifests, for files that mix in Kubernetes core kinds (as MatrixInfer users'
 * manifests do): Secrets and ConfigMaps are validated and returned to be stored, documents of
 * other non-MatrixInfer kinds are returned as skipped. InvalidResourcesError lists every problem.
 */
export function validateMixedManifests(texts: ManifestText[], opts: { namespace?: string } = {}): MixedManifests {
  return collect(texts, opts, true);
}

function collect(texts: ManifestText[], opts: { namespace?: string }, mixed: boolean): MixedManifests {
  const problems: SubmitProblem[] = [];
  const docs: ValidatedDoc[] = [];
  const coreObjects: ValidatedCoreObject[] = [];
  const skipped: SkippedDoc[] = [];
  for (const { text, source } of texts) {
    let parsed: ParsedDocument[];
    try {
      parsed = parseDocuments(text, source);
    } catch (err) {
      if (!(err instanceof DocumentParseError)) throw err;
      for (const i of err.issues) problems.push({ source, index: 0, path: `line ${i.line}:${i.column}`, message: i.message });
      continue;
    }
    if (parsed.length === 0) problems.push({ source, index: 0, path: '', message: 'holds no document' });
    for (const { doc: raw, index } of parsed) {
      const who = describeDoc(raw);
      const at = { source, index, kind: who.kind, name: who.name };
      let input = raw;
      if (opts.namespace !== undefined && typeof raw === 'object' && raw !== null) {
        if (who.namespace !== undefined && who.namespace !== opts.namespace) {
          problems.push({ ...at, path: 'metadata.namespace', message: `is "${who.namespace}" but the namespace asked for (-n, ?namespace=) is "${opts.namespace}"` });
          continue;
        }
        const r = raw as { metadata?: Record<string, unknown> };
        input = { ...r, metadata: { ...(r.metadata ?? {}), namespace: opts.namespace } };
      }
      // Stored as one NATS message (max_payload 1 MiB by default): a bigger document would fail
      // at append time, after validation said yes (found by the resource fuzz suite: a 500).
      const bytes = Buffer.byteLength(JSON.stringify(input) ?? '');
      if (bytes > MAX_RESOURCE_BYTES) {
        problems.push({ ...at, path: '', message: `is ${bytes} bytes as JSON; a resource is stored as one event of at most ${MAX_RESOURCE_BYTES} bytes` });
        continue;
      }
      const cls = mixed ? classifyDocument(input) : ({ type: 'matrixinfer' } as const);
      if (cls.type === 'skipped') {
        skipped.push({ source, index, apiVersion: cls.apiVersion, kind: cls.kind, name: cls.name });
        continue;
      }
      if (cls.type === 'stored') {
        const core = parseCoreObject(cls.kind, input as Record<string, unknown>);
        if ('issues' in core) for (const e of core.issues) problems.push({ ...at, path: e.path, message: e.message });
        else coreObjects.push({ source, index, object: core.object });
        continue;
      }
      const res = validateResource(input);
      if (!res.ok) {
        for (const e of res.errors) problems.push({ ...at, path: e.path, message: e.message });
        continue;
      }
      // What only the autoscaler knows (supported metric names, annotation windows) is
      // checked at admission too, so a policy it cannot use never enters the log.
      if (res.resource.kind === 'AutoscalingPolicy') {
        const issues = validateScalingPolicy(res.resource as AutoscalingPolicy);
        for (const e of issues) problems.push({ ...at, path: e.path, message: e.message });
        if (issues.length > 0) continue;
      }
      const rv = (res.resource.metadata as { resourceVersion?: string }).resourceVersion;
      if (rv !== undefined && rv !== '' && !/^\d+$/.test(rv)) {
        problems.push({ ...at, path: 'metadata.resourceVersion', message: `must be a revision number as \`mi get\` shows it (got "${rv}")` });
        continue;
      }
      // Status belongs to the projector (as a Kubernetes status subresource): a document read
      // back with `mi get -o yaml` applies as its spec and metadata only.
      const { status: _status, ...resource } = res.resource as unknown as ResourceInput;
      docs.push({ source, index, resource });
    }
  }
  if (problems.length > 0) throw new InvalidResourcesError(problems);
  return { docs, coreObjects, skipped };
}

/** Builds the service over a resource store and a status reader. */
export function createResourceService(opts: ResourceServiceOptions): ResourceService {
  const { store } = opts;
  const identify = (r: ResourceInput | StoredResource): ResourceId => ({
    kind: r.kind,
    namespace: r.metadata.namespace ?? DEFAULT_NAMESPACE,
    name: r.metadata.name,
  });
  const withStatus = async (r: StoredResource): Promise<StoredResource> => {
    if (!opts.readStatus) return r;
    const status = await opts.readStatus(statusKey(r.kind, r.metadata.namespace, r.metadata.name));
    return status === null || status === undefined ? r : { ...r, status };
  };
  const checkUpdates = async (docs: ValidatedDoc[]): Promise<void> => {
    const problems: SubmitProblem[] = [];
    for (const d of docs) {
      const id = identify(d.resource);
      const stored = await store.get(id.kind, id.namespace, id.name);
      if (stored === null) continue;
      const issues = updateIssues(id.kind as KindName, stored as unknown as Record<string, unknown>, d.resource as unknown as Record<string, unknown>);
      for (const i of issues) problems.push({ source: d.source, index: d.index, kind: id.kind, name: id.name, path: i.path, message: i.message });
    }
    if (problems.length > 0) throw new InvalidResourcesError(problems);
  };
  return {
    validate: validateManifests,
    identify,
    ready: () => (opts.ready ? opts.ready() : true),
    checkWritable: async (what) => opts.guardWrite?.(what),
    checkUpdates,
    async apply(docs, o = {}) {
      await opts.guardWrite?.('apply');
      // Every immutable field is checked before the first write, so a refused batch writes nothing.
      await checkUpdates(docs);
      const out: ApplyOutcomeView[] = [];
      for (const d of docs) {
        // A resourceVersion in the document means "update exactly this version" (as kubectl
        // replace does); without one the store expects the version it just read.
        const rv = d.resource.metadata.resourceVersion;
        const expectedRevision = rv !== undefined && rv !== '' ? Number(rv) : undefined;
        const res = await store.apply(d.resource, { expectedRevision, traceparent: o.traceparent });
        out.push({ ...identify(res.resource), result: res.result, resourceVersion: res.resource.metadata.resourceVersion });
      }
      return out;
    },
    async get(kindInput, namespace, name) {
      const { kind } = resolveKind(kindInput);
      const ns = namespace ?? DEFAULT_NAMESPACE;
      const r = await store.get(kind, ns, name);
      if (r === null) throw new NotFoundError(kind, ns, name);
      return withStatus(r);
    },
    async list(kindInput, namespace) {
      const { kind } = resolveKind(kindInput);
      const items = await store.list(kind, namespace);
      return Promise.all(items.map(withStatus));
    },
    async delete(kindInput, namespace, name, o = {}) {
      const { kind } = resolveKind(kindInput);
      const ns = namespace ?? DEFAULT_NAMESPACE;
      await opts.guardWrite?.('delete');
      await store.delete(kind, ns, name, { traceparent: o.traceparent });
      return { kind, namespace: ns, name, result: 'deleted' };
    },
  };
}
