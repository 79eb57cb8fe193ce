// Pure core of the ingest: (Kubernetes object, event type, what MI_DESIRED holds for its
// subject) → the writes to make, or none with the reason. One Kubernetes resourceVersion gives
// at most one event, also across restarts: the stored version carries the uid and
// resourceVersion it came from (see object.ts), and a version already there, an older one, or
// one with the same content is skipped. No NATS, no Kubernetes client here.
import { stableStringify, type ResourceInput, type StoredResource } from '@matrixinfer/events';
import { identityOf, toResourceInput, userAnnotations, type K8sObject } from './object.js';

/** What MI_DESIRED holds for one subject: its last sequence (0 when empty) and the live version. */
export interface SubjectState {
  seq: number;
  live: StoredResource | null;
}

/** One write to the resource log, with the revision it expects (optimistic concurrency). */
export type IngestWrite =
  | { op: 'apply'; resource: ResourceInput; expectedRevision: number | 'absent' }
  | { op: 'delete'; kind: string; namespace: string; name: string; expectedRevision: number };

/** Why a plan writes or skips; logged and counted. */
export type IngestReason =
  | 'created'
  | 'updated'
  | 'scaled'
  | 'recreated'
  | 'adopted'
  | 'deleted'
  | 'same-version'
  | 'older-version'
  | 'unchanged'
  | 'absent'
  | 'other-object'
  | 'not-ingested';

/** The writes of one Kubernetes event (empty: skip) and why. */
export interface IngestPlan {
  writes: IngestWrite[];
  reason: IngestReason;
}

/** A watch or list event: the object exists (added/modified/listed) or was deleted. */
export type IngestEventType = 'upsert' | 'delete';

/** The kind and apiVersion an object is stored under. */
export interface IngestKind {
  kind: string;
  apiVersion: string;
}

/**
 * Order of two resourceVersions: numeric when both are decimal integers (as etcd's are),
 * otherwise only equality is known (undefined for "different, order unknown").
 */
export function compareResourceVersions(a: string | undefined, b: string | undefined): -1 | 0 | 1 | undefined {
  if (a === undefined || b === undefined) return undefined;
  if (a === b) return 0;
  if (!/^\d+$/.test(a) || !/^\d+$/.test(b)) return undefined;
  const x = BigInt(a);
  const y = BigInt(b);
  return x < y ? -1 : x > y ? 1 : 0;
}

function nonEmpty<T extends object>(v: T | undefined): T | undefined {
  return v !== undefined && Object.keys(v).length > 0 ? v : undefined;
}

function content(r: ResourceInput | StoredResource): string {
  return stableStringify({
    apiVersion: r.apiVersion,
    labels: nonEmpty(r.metadata.labels) ?? null,
    annotations: nonEmpty(userAnnotations(r.metadata.annotations)) ?? null,
    ownerReferences: r.metadata.ownerReferences && r.metadata.ownerReferences.length > 0 ? r.metadata.ownerReferences : null,
    spec: r.spec ?? null,
  });
}

function deletePlan(kind: string, namespace: string, name: string, uid: string | undefined, cur: SubjectState): IngestPlan {
  if (cur.live === null) return { writes: [], reason: 'absent' };
  const id = identityOf(cur.live);
  if (id.uid === undefined) return { writes: [], reason: 'not-ingested' };
  if (uid !== undefined && id.uid !== uid) return { writes: [], reason: 'other-object' };
  return { writes: [{ op: 'delete', kind, namespace, name, expectedRevision: cur.seq }], reason: 'deleted' };
}

/**
 * The writes for one event about `obj` given what its subject holds. An object being deleted
 * (deletionTimestamp set, finalizers pending) counts as deleted: its controllers clean up now.
 * A delete only removes the version that came from the same Kubernetes object (same uid).
 */
export function planIngest(type: IngestEventType, obj: K8sObject, k: IngestKind, cur: SubjectState): IngestPlan {
  const md = obj.metadata ?? {};
  const namespace = md.namespace ?? 'default';
  const name = md.name ?? '';
  if (type === 'delete' || md.deletionTimestamp !== undefined) return deletePlan(k.kind, namespace, name, md.uid, cur);
  const input = toResourceInput(obj, k.kind, k.apiVersion);
  if (cur.live === null) return { writes: [{ op: 'apply', resource: input, expectedRevision: cur.seq === 0 ? 'absent' : cur.seq }], reason: 'created' };
  const id = identityOf(cur.live);
  // Written by `mi apply` before this mode, or by a controller: Kubernetes is the source now.
  if (id.uid === undefined) return { writes: [{ op: 'apply', resource: input, expectedRevision: cur.seq }], reason: 'adopted' };
  // Deleted and created again in Kubernetes while nobody watched: a new object in the log too
  // (new store uid), so controllers do not take it for the old one.
  if (md.uid !== undefined && id.uid !== md.uid) {
    return {
      writes: [
        { op: 'delete', kind: k.kind, namespace, name, expectedRevision: cur.seq },
        { op: 'apply', resource: input, expectedRevision: 'absent' },
      ],
      reason: 'recreated',
    };
  }
  const order = compareResourceVersions(md.resourceVersion, id.resourceVersion);
  if (order === 0) return { writes: [], reason: 'same-version' };
  if (order === -1) return { writes: [], reason: 'older-version' };
  // A status-only change (our own write-back) or a metadata change the log does not keep.
  if (content(input) === content(cur.live)) return { writes: [], reason: 'unchanged' };
  return { writes: [{ op: 'apply', resource: input, expectedRevision: cur.seq }], reason: 'updated' };
}

/**
 * After a (re)list: the stored resources of the listed kind that came from Kubernetes and are
 * no longer there, as the deleted objects to feed to planIngest('delete', …).
 */
export function relistOrphans(listed: readonly K8sObject[], stored: readonly StoredResource[]): K8sObject[] {
  const present = new Set(listed.map((o) => `${o.metadata?.namespace ?? 'default'}/${o.metadata?.name ?? ''}`));
  const out: K8sObject[] = [];
  for (const r of stored) {
    const id = identityOf(r);
    if (id.uid === undefined) continue;
    if (present.has(`${r.metadata.namespace}/${r.metadata.name}`)) continue;
    out.push({ apiVersion: r.apiVersion, kind: r.kind, metadata: { name: r.metadata.name, namespace: r.metadata.namespace, uid: id.uid, resourceVersion: id.resourceVersion } });
  }
  return out;
}

/**
 * A mirrored ModelInfer (a child the log owns) whose Kubernetes spec.replicas was changed
 * (`kubectl scale`, an HPA, the scale applier): the log's live version with that replica
 * count, so the change is not lost; every other field stays the log's. Nothing otherwise.
 */
export function planMirroredScale(obj: K8sObject, cur: SubjectState): IngestPlan {
  const replicas = (obj.spec as { replicas?: unknown } | undefined)?.replicas;
  if (cur.live === null) return { writes: [], reason: 'absent' };
  if (typeof replicas !== 'number' || !Number.isInteger(replicas) || replicas < 0) return { writes: [], reason: 'unchanged' };
  const spec = (cur.live.spec ?? {}) as Record<string, unknown>;
  if (spec.replicas === replicas) return { writes: [], reason: 'unchanged' };
  const { resourceVersion: _rv, ...metadata } = cur.live.metadata;
  void _rv;
  return { writes: [{ op: 'apply', resource: { ...cur.live, metadata, spec: { ...spec, replicas } } as ResourceInput, expectedRevision: cur.seq }], reason: 'scaled' };
}
