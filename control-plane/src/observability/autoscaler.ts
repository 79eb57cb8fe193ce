// Per-target autoscaler gauges: desired and current replicas, panic mode and each policy
// metric's value at the last tick. A target that leaves the topology has its series removed,
// so the label set stays the set of live targets.
import type { ControlPlaneMetrics } from './metrics.js';

/** What one tick decided for a target, as the gauges show it. */
export interface TargetReading {
  namespace: string;
  target: string;
  desiredReplicas: number;
  currentReplicas: number;
  panic: boolean;
  values: Record<string, number>;
}

/** Records target readings and forgets targets that are gone. */
export interface AutoscalerGauges {
  record(r: TargetReading): void;
  /** Removes the series of every target not in `live` (keys `<namespace>/<target>`). */
  retain(live: ReadonlySet<string>): void;
}

/** Gauges over `metrics` (none: a recorder that does nothing). */
export function autoscalerGauges(metrics: ControlPlaneMetrics | undefined): AutoscalerGauges {
  if (!metrics) return { record: () => undefined, retain: () => undefined };
  const seen = new Map<string, { namespace: string; target: string; metrics: Set<string> }>();
  return {
    record(r) {
      const key = `${r.namespace}/${r.target}`;
      let s = seen.get(key);
      if (!s) seen.set(key, (s = { namespace: r.namespace, target: r.target, metrics: new Set() }));
      metrics.autoscalerDesired.labels(r.namespace, r.target).set(r.desiredReplicas);
      metrics.autoscalerCurrent.labels(r.namespace, r.target).set(r.currentReplicas);
      metrics.autoscalerPanic.labels(r.namespace, r.target).set(r.panic ? 1 : 0);
      for (const m of s.metrics) if (!(m in r.values)) metrics.autoscalerMetric.remove(r.namespace, r.target, m);
      s.metrics = new Set(Object.keys(r.values));
      for (const [m, v] of Object.entries(r.values)) if (Number.isFinite(v)) metrics.autoscalerMetric.labels(r.namespace, r.target, m).set(v);
    },
    retain(live) {
      for (const [key, s] of seen) {
        if (live.has(key)) continue;
        seen.delete(key);
        metrics.autoscalerDesired.remove(s.namespace, s.target);
        metrics.autoscalerCurrent.remove(s.namespace, s.target);
        metrics.autoscalerPanic.remove(s.namespace, s.target);
        for (const m of s.metrics) metrics.autoscalerMetric.remove(s.namespace, s.target, m);
      }
    },
  };
}
