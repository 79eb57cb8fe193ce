// The mark on objects the mirror writes into Kubernetes (children the Model controller derived
// in the log): the ingest leaves them alone, so a derived child never loops back into the log
// as a user's object. Pure.
import type { K8sObject } from './object.js';

/** Annotation on every mirrored object; its value is the MI_DESIRED subject it mirrors. */
export const MIRROR_ANNOTATION = 'k8s.matrixinfer.ai/mirror-of';

/** True when the object was written by the mirror. */
export function isMirrored(o: K8sObject): boolean {
  return o.metadata?.annotations?.[MIRROR_ANNOTATION] !== undefined;
}
