// Pure core of the cleanup finalizer on Model and ModelInfer: Kubernetes keeps a deleted object
// (deletionTimestamp set) until the controller has removed what was derived from it, so a
// delete that arrives while the controller is down is still cleaned up when it comes back
// (the relist sees the object, with its deletionTimestamp). No I/O.
import { isMirrored } from '../ingest/mirrored.js';
import type { K8sObject } from '../ingest/object.js';

/** The finalizer the controller puts on every Model and ModelInfer it ingests. */
export const CLEANUP_FINALIZER = 'matrixinfer.ai/cleanup';

/** Kinds that carry the finalizer. */
export const FINALIZED_KINDS: ReadonlySet<string> = new Set(['Model', 'ModelInfer']);

/** What to do about the finalizer of one observed object. */
export type FinalizerAction = 'add' | 'await-cleanup' | 'none';

/**
 * `add` for a live Model/ModelInfer a user made that lacks it; `await-cleanup` for one being
 * deleted that still has it; `none` otherwise. Mirrored children get none: Kubernetes garbage
 * collection removes them (and their Pods) with their Model.
 */
export function finalizerAction(kind: string, obj: K8sObject): FinalizerAction {
  if (!FINALIZED_KINDS.has(kind) || isMirrored(obj)) return 'none';
  const has = (obj.metadata?.finalizers ?? []).includes(CLEANUP_FINALIZER);
  const deleting = obj.metadata?.deletionTimestamp !== undefined;
  if (!deleting && !has) return 'add';
  if (deleting && has) return 'await-cleanup';
  return 'none';
}

/** The finalizer list with ours added or removed (others kept, in order). */
export function withFinalizer(list: readonly string[] | undefined, present: boolean): string[] {
  const rest = (list ?? []).filter((f) => f !== CLEANUP_FINALIZER);
  return present ? [...rest, CLEANUP_FINALIZER] : rest;
}

/** True when an object owned something: one of its owner references is `uid`. */
export function ownedBy(o: K8sObject, uid: string): boolean {
  return (o.metadata?.ownerReferences ?? []).some((r) => r.uid === uid);
}
