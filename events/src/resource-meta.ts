// Pure core of the resource log: resource shapes and the Kubernetes-like metadata rules
// (uid, generation, creationTimestamp) applied when a new version is written. No NATS here.
import { createHash } from 'node:crypto';
import { DEFAULT_NAMESPACE, isSubjectToken } from './names.js';
import type { OwnerReference } from '@matrixinfer/schemas';
import { stableStringify } from './routes.js';
import { InvalidEventError, InvalidResourceError } from './errors.js';
import { decodeEvent, type Envelope } from './envelope.js';


/** Metadata of a stored resource; every field is maintained by the log. */
export interface StoredMetadata {
  name: string;
  namespace: string;
  /** New on every create (also after delete + re-create). */
  uid: string;
  /** Stream sequence of the message holding this version; set on read, never stored. */
  resourceVersion: string;
  /** 1 on create, +1 on every spec change. */
  generation: number;
  /** ISO time of the create; kept across updates. */
  creationTimestamp: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  ownerReferences?: OwnerReference[];
}

/** A resource as the log stores and returns it (structurally compatible with schemas' types). */
export interface StoredResource<Spec = unknown, Status = unknown> {
  apiVersion: string;
  kind: string;
  metadata: StoredMetadata;
  spec: Spec;
  status?: Status;
}

/** What a caller submits: metadata beyond the name is optional (the log fills it in). */
export interface ResourceInput<Spec = unknown, Status = unknown> {
  apiVersion: string;
  kind: string;
  metadata: {
    name: string;
    namespace?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
    ownerReferences?: OwnerReference[];
    // Server-maintained fields are accepted and ignored, so a resource read with get() can be
    // edited and applied back as is.
    uid?: string;
    resourceVersion?: string;
    generation?: number;
    creationTimestamp?: string;
  };
  spec: Spec;
  status?: Status;
}

/** Outcome of an apply, worded like kubectl. */
export type ApplyResult = 'created' | 'configured' | 'unchanged';

/** Key of a resource in folds and maps: `<kind>/<namespace>/<name>` (kind as given). */
export function resourceKey(kind: string, namespace: string, name: string): string {
  return `${kind}/${namespace}/${name}`;
}

/** Checks the fields the log needs; InvalidResourceError naming the field otherwise. */
export function checkResourceInput(r: ResourceInput): void {
  const problems: string[] = [];
  if (typeof r !== 'object' || r === null) throw new InvalidResourceError('resource must be an object');
  if (typeof r.apiVersion !== 'string' || r.apiVersion === '') problems.push('apiVersion is required');
  if (typeof r.kind !== 'string' || !isSubjectToken(r.kind)) problems.push('kind is required and must be a NATS subject token');
  const md = r.metadata as ResourceInput['metadata'] | undefined;
  if (typeof md !== 'object' || md === null) problems.push('metadata is required');
  else {
    if (typeof md.name !== 'string' || !isSubjectToken(md.name)) problems.push('metadata.name is required and may not contain ".", "*", ">" or spaces');
    if (md.namespace !== undefined && (typeof md.namespace !== 'string' || !isSubjectToken(md.namespace))) {
      problems.push('metadata.namespace may not contain ".", "*", ">" or spaces');
    }
  }
  if (!('spec' in r)) problems.push('spec is required');
  if (problems.length > 0) throw new InvalidResourceError(`invalid resource: ${problems.join('; ')}`);
}

/** Namespace of an input, defaulted. */
export function namespaceOf(r: { metadata: { namespace?: string } }): string {
  return r.metadata.namespace ?? DEFAULT_NAMESPACE;
}

function same(a: unknown, b: unknown): boolean {
  return stableStringify(a ?? null) === stableStringify(b ?? null);
}

function emptyToUndefined<T extends object>(v: T | undefined): T | undefined {
  return v !== undefined && Object.keys(v).length > 0 ? v : undefined;
}

export interface PlanApplyContext {
  nowMs: number;
  /** Fresh uid for a create. */
  newUid: () => string;
}

/**
 * Computes the next stored version of a resource from the live one (null when absent or
 * deleted) and the input. Spec changes bump generation; labels/annotations/owners/status
 * changes do not; equal content is 'unchanged'. Status is kept when the input has none.
 */
export function planApply(current: StoredResource | null, input: ResourceInput, ctx: PlanApplyContext): { result: ApplyResult; next: StoredResource } {
  const ns = namespaceOf(input);
  const labels = emptyToUndefined(input.metadata.labels);
  const annotations = emptyToUndefined(input.metadata.annotations);
  const ownerReferences = input.metadata.ownerReferences && input.metadata.ownerReferences.length > 0 ? input.metadata.ownerReferences : undefined;
  const base = (uid: string, generation: number, creationTimestamp: string): StoredMetadata => {
    const md: StoredMetadata = { name: input.metadata.name, namespace: ns, uid, resourceVersion: '', generation, creationTimestamp };
    if (labels) md.labels = labels;
    if (annotations) md.annotations = annotations;
    if (ownerReferences) md.ownerReferences = ownerReferences;
    return md;
  };
  if (current === null) {
    const next: StoredResource = { apiVersion: input.apiVersion, kind: input.kind, metadata: base(ctx.newUid(), 1, new Date(ctx.nowMs).toISOString()), spec: input.spec };
    if (input.status !== undefined) next.status = input.status;
    return { result: 'created', next };
  }
  const specChanged = !same(current.spec, input.spec);
  const status = input.status !== undefined ? input.status : current.status;
  const changed =
    specChanged ||
    current.apiVersion !== input.apiVersion ||
    !same(current.metadata.labels, labels) ||
    !same(current.metadata.annotations, annotations) ||
    !same(current.metadata.ownerReferences, ownerReferences) ||
    !same(current.status, status);
  const md = base(current.metadata.uid, current.metadata.generation + (specChanged ? 1 : 0), current.metadata.creationTimestamp);
  const next: StoredResource = { apiVersion: input.apiVersion, kind: input.kind, metadata: md, spec: input.spec };
  if (status !== undefined) next.status = status;
  if (!changed) return { result: 'unchanged', next: current };
  return { result: 'configured', next };
}

/** The stored form: resourceVersion dropped (it is the stream sequence, known only after storing). */
export function toStoredPayload(r: StoredResource): Omit<StoredResource, 'metadata'> & { metadata: Omit<StoredMetadata, 'resourceVersion'> } {
  const { resourceVersion: _rv, ...metadata } = r.metadata;
  return { ...r, metadata };
}

/** Content-derived message id: equal (subject, expectation, type, content) => equal id, so retries dedup. */
export function contentMsgId(subject: string, expected: number, type: string, content: unknown): string {
  return createHash('sha256').update(`${subject}\n${expected}\n${type}\n${stableStringify(content)}`).digest('hex').slice(0, 40);
}

/** Envelope type of a resource version on MI_DESIRED. */
export const RESOURCE_APPLIED = 'resource.applied';
/** Envelope type of a delete (tombstone); its data is the last version before the delete. */
export const RESOURCE_DELETED = 'resource.deleted';

/** Decodes a MI_DESIRED message into the live resource it states (null for a tombstone). */
export function resourceFromMessage(seq: number, data: Uint8Array): { envelope: Envelope<StoredResource>; live: StoredResource | null } {
  const envelope = decodeEvent<StoredResource>(data);
  if (envelope.type === RESOURCE_DELETED) return { envelope, live: null };
  if (envelope.type !== RESOURCE_APPLIED) throw new InvalidEventError(`unexpected event type ${envelope.type} on ${envelope.subject}`);
  const r = envelope.data;
  return { envelope, live: { ...r, metadata: { ...r.metadata, resourceVersion: String(seq) } } };
}

/** Deterministic order: kind, namespace, name. */
export function compareResources(a: StoredResource, b: StoredResource): number {
  const ka = [a.kind, a.metadata.namespace ?? DEFAULT_NAMESPACE, a.metadata.name];
  const kb = [b.kind, b.metadata.namespace ?? DEFAULT_NAMESPACE, b.metadata.name];
  for (let i = 0; i < 3; i++) {
    if (ka[i] < kb[i]) return -1;
    if (ka[i] > kb[i]) return 1;
  }
  return 0;
}
