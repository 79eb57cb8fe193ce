// Scale targets other than ModelInfer (a Deployment, a StatefulSet: anything with a `scale`
// subresource). In Kubernetes mode an observer reads each bound target's /scale and publishes
// what it saw here, so the autoscaler knows the current count without talking to Kubernetes.
import { observedSubject } from './names.js';

/** Event type of a scale observation. */
export const SCALE_OBSERVED = 'scale.observed';

/** A workload the autoscaler scales through its scale subresource. */
export interface ScaleTargetRef {
  apiVersion: string;
  kind: string;
  name: string;
}

/** What a target's /scale said (or that it could not be read). */
export interface ScaleObservation extends ScaleTargetRef {
  namespace: string;
  /** spec.replicas of the scale subresource; absent when the target could not be read. */
  specReplicas?: number;
  /** status.replicas of the scale subresource. */
  statusReplicas?: number;
  /** status.selector (a label selector string), when the workload reports one. */
  selector?: string;
  /** Why the target could not be read (404, no scale subresource, ...). */
  error?: string;
  /** When it was read (epoch ms). */
  timeMs: number;
}

/** `mi.observed.scale.<namespace>.<kind>.<name>` (kind lower-cased). */
export function scaleObservedSubject(namespace: string, kind: string, name: string): string {
  return observedSubject('scale', namespace, kind.toLowerCase(), name);
}

/** Key of a scale target in maps: `<namespace>/<Kind>/<name>`. */
export function scaleTargetKey(namespace: string, kind: string, name: string): string {
  return `${namespace}/${kind}/${name}`;
}
