// Pure core of the mirror: a child the Model controller derived in MI_DESIRED → the object to
// server-side apply in Kubernetes, so `kubectl get modelinfers` shows it and the actuator's Pods
// can be owned by it. Owner references are rewritten from the log's uids to the Kubernetes uids
// of the owners (the ingest keeps those on every version it writes), so Kubernetes garbage
// collection removes the child with its Model. No I/O.
import type { StoredResource } from '@matrixinfer/events';
import type { OwnerReference } from '@matrixinfer/schemas';
import { MIRROR_ANNOTATION } from '../ingest/mirrored.js';
import { identityOf, userAnnotations, type K8sObject } from '../ingest/object.js';

/** Field manager of the mirror's server-side applies. */
export const MIRROR_FIELD_MANAGER = 'matrixinfer-mirror';

/** Why a version is not mirrored. */
export type MirrorSkip = 'ingested' | 'not-owned' | 'owner-not-in-kubernetes';

/** The Kubernetes uid of the owner a log owner reference points at, or undefined (absent, other uid, or not from Kubernetes). */
export type OwnerUidLookup = (ref: OwnerReference, namespace: string) => Promise<string | undefined>;

/** The object to apply for a live child, or why it is not mirrored. */
export async function mirrorBody(r: StoredResource, subject: string, ownerUid: OwnerUidLookup): Promise<{ body: K8sObject } | { skip: MirrorSkip }> {
  // Kubernetes is already the source of an ingested object.
  if (identityOf(r).uid !== undefined) return { skip: 'ingested' };
  const refs = r.metadata.ownerReferences ?? [];
  if (refs.length === 0) return { skip: 'not-owned' };
  const namespace = r.metadata.namespace ?? 'default';
  const ownerReferences: OwnerReference[] = [];
  for (const ref of refs) {
    const uid = await ownerUid(ref, namespace);
    // Owned by something Kubernetes does not know (embedded mode, or the owner went away).
    if (uid === undefined) return { skip: 'owner-not-in-kubernetes' };
    ownerReferences.push({ ...ref, uid });
  }
  const metadata: NonNullable<K8sObject['metadata']> = { name: r.metadata.name, namespace, annotations: { ...userAnnotations(r.metadata.annotations), [MIRROR_ANNOTATION]: subject }, ownerReferences };
  if (r.metadata.labels && Object.keys(r.metadata.labels).length > 0) metadata.labels = { ...r.metadata.labels };
  return { body: { apiVersion: r.apiVersion, kind: r.kind, metadata, spec: r.spec ?? {} } };
}

/** Resolves owners from the log: the owner's live version must have the referenced uid and came from Kubernetes. */
export function ownerUidFromLog(get: (kind: string, namespace: string, name: string) => Promise<StoredResource | null>): OwnerUidLookup {
  return async (ref, namespace) => {
    const owner = await get(ref.kind, namespace, ref.name);
    if (owner === null || owner.metadata.uid !== ref.uid) return undefined;
    return identityOf(owner).uid;
  };
}
