// Pure core of the Kubernetes Events recorder: which control-plane decisions a person should
// see in `kubectl describe`, as what Event. Infer decisions (recovery, scale, rolling update,
// delete) go on their ModelInfer, Model decisions (children created, updated, deleted) on their
// Model, autoscaler decisions that change the replica count on the ModelInfer they scale.
import { AUTOSCALER_DECISION, MODEL_DECISION } from '@matrixinfer/control-plane';
import { INSTANCES_DECISION, type Envelope } from '@matrixinfer/events';

/** An Event to record on one object. */
export interface EventPlan {
  kind: 'Model' | 'ModelInfer';
  namespace: string;
  name: string;
  type: 'Normal' | 'Warning';
  reason: string;
  message: string;
}

/** The Event reason of an infer decision's reason text (its first clause decides). */
export function inferReason(text: string): { reason: string; type: 'Normal' | 'Warning' } {
  if (/^recovery/i.test(text)) return { reason: 'Recovery', type: 'Warning' };
  if (/^rolling update/i.test(text)) return { reason: 'RollingUpdate', type: 'Normal' };
  if (/^scale/i.test(text)) return { reason: 'Scale', type: 'Normal' };
  if (/deleted/i.test(text)) return { reason: 'Deleted', type: 'Normal' };
  return { reason: 'Reconcile', type: 'Normal' };
}

// Kubernetes caps an Event message at 1 KiB.
const cap = (s: string) => (s.length > 1024 ? `${s.slice(0, 1021)}...` : s);

/** The Events of one decision envelope (none when it is not one a person needs to see). */
export function eventsFor(e: Envelope<unknown>): EventPlan[] {
  const d = e.data as Record<string, unknown> | null;
  if (d === null || typeof d !== 'object' || typeof d.namespace !== 'string') return [];
  const ns = d.namespace;
  if (e.type === INSTANCES_DECISION && typeof d.modelInfer === 'string' && typeof d.reason === 'string') {
    return [{ kind: 'ModelInfer', namespace: ns, name: d.modelInfer, ...inferReason(d.reason), message: cap(d.reason) }];
  }
  if (e.type === MODEL_DECISION && typeof d.model === 'string' && typeof d.reason === 'string') {
    return [{ kind: 'Model', namespace: ns, name: d.model, type: 'Normal', reason: 'Children', message: cap(d.reason) }];
  }
  if (e.type === AUTOSCALER_DECISION && d.valid === true && typeof d.reason === 'string') {
    const replicas = (d.replicas ?? {}) as Record<string, { current?: number; desired?: number }>;
    return Object.entries(replicas)
      .filter(([, r]) => typeof r?.desired === 'number' && r.desired !== r.current)
      .map(([name, r]) => ({ kind: 'ModelInfer' as const, namespace: ns, name, type: 'Normal' as const, reason: 'Autoscaled', message: cap(`replicas ${r.current} → ${r.desired}: ${d.reason as string}`) }));
  }
  return [];
}
