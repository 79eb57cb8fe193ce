// Pure core of the scale applier: which replica counts an autoscaler decision asks the API
// server for (ModelInfers, and other kinds through their scale subresource). On Kubernetes the object is the source of truth, so the autoscaler's
// decision is applied there (spec.replicas only) and comes back through ingest like any edit.
import type { AutoscalerDecisionData } from '@matrixinfer/control-plane';

/** Field manager of the autoscaler's server-side apply: it owns spec.replicas and nothing else. */
export const AUTOSCALER_FIELD_MANAGER = 'matrixinfer-autoscaler';

/** One replica count to apply to one ModelInfer. */
export interface ReplicaApply {
  namespace: string;
  name: string;
  replicas: number;
  reason: string;
  /** Set for a workload that is not a ModelInfer: written through its scale subresource. */
  ref?: { apiVersion: string; kind: string };
}

/**
 * The replica writes of a decision: every ModelInfer whose desired count differs from the
 * current one, for a valid decision at most `maxAgeMs` old at `nowMs` (an old decision read
 * back at start must not undo what happened since). Invalid or malformed data gives none.
 */
export function replicaApplies(data: AutoscalerDecisionData, decidedAtMs: number, nowMs: number, maxAgeMs: number): ReplicaApply[] {
  if (data === null || typeof data !== 'object' || data.valid !== true || typeof data.namespace !== 'string') return [];
  if (!(nowMs - decidedAtMs <= maxAgeMs)) return [];
  const out: ReplicaApply[] = [];
  for (const name of Object.keys(data.replicas ?? {}).sort()) {
    const r = data.replicas[name];
    if (!Number.isInteger(r?.desired) || r.desired < 0 || r.desired === r.current) continue;
    const ref = data.targetRefs?.[name];
    const a: ReplicaApply = { namespace: data.namespace, name, replicas: r.desired, reason: data.reason };
    if (ref && typeof ref.kind === 'string' && typeof ref.apiVersion === 'string') a.ref = { apiVersion: ref.apiVersion, kind: ref.kind };
    out.push(a);
  }
  return out;
}

/** The server-side apply body: identity and spec.replicas, nothing else (so no other field is claimed). */
export function replicasApplyBody(a: ReplicaApply): { apiVersion: string; kind: string; metadata: { name: string; namespace: string }; spec: { replicas: number } } {
  return { apiVersion: 'workload.matrixinfer.ai/v1alpha1', kind: 'ModelInfer', metadata: { name: a.name, namespace: a.namespace }, spec: { replicas: a.replicas } };
}
