// Kubernetes object → MI_DESIRED resource input: what the controllers need (labels,
// annotations, owner references, spec) plus the Kubernetes identity of the version (uid,
// resourceVersion, generation) in annotations, so the mapping lives in the event itself and
// survives a restart of the adapter. Server-only metadata and status are dropped. Pure.
import type { ResourceInput, StoredResource } from '@matrixinfer/events';
import type { OwnerReference } from '@matrixinfer/schemas';

/** Annotations the ingest keeps on every stored version (the Kubernetes identity of the version). */
export const INGEST_ANNOTATIONS = {
  /** metadata.uid of the Kubernetes object the version came from. */
  uid: 'k8s.matrixinfer.ai/uid',
  /** metadata.resourceVersion of that object when it was ingested. */
  resourceVersion: 'k8s.matrixinfer.ai/resource-version',
  /** metadata.generation of that object (the source of status.observedGeneration). */
  generation: 'k8s.matrixinfer.ai/generation',
} as const;

/** Annotations Kubernetes clients keep for themselves: not copied into the log. */
const CLIENT_ONLY_ANNOTATIONS = new Set(['kubectl.kubernetes.io/last-applied-configuration']);

/** The part of a Kubernetes object the ingest reads. */
export interface K8sObject {
  apiVersion?: string;
  kind?: string;
  metadata?: {
    name?: string;
    namespace?: string;
    uid?: string;
    resourceVersion?: string;
    generation?: number;
    creationTimestamp?: string | Date;
    deletionTimestamp?: string | Date;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
    ownerReferences?: OwnerReference[];
    managedFields?: unknown[];
    finalizers?: string[];
  };
  spec?: unknown;
  status?: unknown;
}

/** Kubernetes identity of a stored version, read back from its annotations (undefined fields when absent). */
export interface IngestIdentity {
  uid?: string;
  resourceVersion?: string;
  generation?: number;
}

/** The identity a stored resource carries; all undefined when it was not written by the ingest. */
export function identityOf(r: Pick<StoredResource, 'metadata'>): IngestIdentity {
  const a = r.metadata.annotations ?? {};
  const gen = a[INGEST_ANNOTATIONS.generation];
  return {
    uid: a[INGEST_ANNOTATIONS.uid],
    resourceVersion: a[INGEST_ANNOTATIONS.resourceVersion],
    generation: gen !== undefined && /^\d+$/.test(gen) ? Number(gen) : undefined,
  };
}

/** True when the stored resource came from Kubernetes (carries the ingest uid annotation). */
export function isIngested(r: Pick<StoredResource, 'metadata'>): boolean {
  return identityOf(r).uid !== undefined;
}

/** `namespace/name` of an object (namespace defaulted to `default`). */
export function objectKey(o: K8sObject): string {
  return `${o.metadata?.namespace ?? 'default'}/${o.metadata?.name ?? ''}`;
}

/**
 * The resource input `mi apply` would submit for this object: apiVersion, kind, name,
 * namespace, labels, annotations (client-only ones dropped, the ingest identity added), owner
 * references and spec. No status, no managedFields, no server-maintained fields.
 */
export function toResourceInput(o: K8sObject, kind: string, apiVersion: string): ResourceInput {
  const md = o.metadata ?? {};
  const annotations: Record<string, string> = {};
  for (const [k, v] of Object.entries(md.annotations ?? {})) if (!CLIENT_ONLY_ANNOTATIONS.has(k) && !isIngestAnnotation(k)) annotations[k] = v;
  if (md.uid !== undefined) annotations[INGEST_ANNOTATIONS.uid] = md.uid;
  if (md.resourceVersion !== undefined) annotations[INGEST_ANNOTATIONS.resourceVersion] = md.resourceVersion;
  if (md.generation !== undefined) annotations[INGEST_ANNOTATIONS.generation] = String(md.generation);
  const metadata: ResourceInput['metadata'] = { name: md.name ?? '', namespace: md.namespace ?? 'default', annotations };
  if (md.labels && Object.keys(md.labels).length > 0) metadata.labels = { ...md.labels };
  if (md.ownerReferences && md.ownerReferences.length > 0) metadata.ownerReferences = md.ownerReferences.map((r) => ({ ...r }));
  return { apiVersion: o.apiVersion ?? apiVersion, kind: o.kind ?? kind, metadata, spec: o.spec ?? {} };
}

function isIngestAnnotation(k: string): boolean {
  return k === INGEST_ANNOTATIONS.uid || k === INGEST_ANNOTATIONS.resourceVersion || k === INGEST_ANNOTATIONS.generation;
}

/** Annotations without the ingest identity (what a content comparison looks at). */
export function userAnnotations(a: Record<string, string> | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(a ?? {})) if (!isIngestAnnotation(k)) out[k] = v;
  return out;
}
