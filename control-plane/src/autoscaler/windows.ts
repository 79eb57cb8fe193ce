// Window arithmetic for the autoscaler: averages over the stable and panic windows and the
// replicas a metric asks for. Pure helpers of decide().
import type { MetricInputs, MetricTarget, TargetSample } from './types.js';

/** Mean of `name` over samples newer than `sinceMs`; null when no sample in the window has it. */
export function windowAverage(samples: readonly TargetSample[], name: string, sinceMs: number): number | null {
  let sum = 0;
  let n = 0;
  for (const s of samples) {
    if (s.timeMs <= sinceMs) continue;
    const v = s.values[name];
    if (typeof v !== 'number' || !Number.isFinite(v)) continue;
    sum += v;
    n++;
  }
  return n === 0 ? null : sum / n;
}

/** Replicas needed so that `total` spread over them meets `target` per replica, within tolerance of `current`. */
export function replicasFor(total: number, target: number, current: number, tolerance: number): number {
  if (current > 0 && Math.abs(total / (target * current) - 1) <= tolerance) return current;
  // A tiny epsilon keeps 3.0000000001 (float noise) from becoming 4.
  return Math.max(0, Math.ceil(total / target - 1e-9));
}

/** Per-metric inputs over both windows, or null for a metric no sample carries. */
export function metricInputs(
  samples: readonly TargetSample[],
  metric: MetricTarget,
  current: number,
  tolerance: number,
  stableSinceMs: number,
  panicSinceMs: number,
): MetricInputs | null {
  const stableAverage = windowAverage(samples, metric.name, stableSinceMs);
  if (stableAverage === null) return null;
  const panicAverage = windowAverage(samples, metric.name, panicSinceMs) ?? stableAverage;
  return {
    target: metric.target,
    stableAverage,
    panicAverage,
    stableReplicas: replicasFor(stableAverage, metric.target, current, tolerance),
    panicReplicas: replicasFor(panicAverage, metric.target, current, tolerance),
  };
}

/** Replicas the target had at `sinceMs`, undoing the changes decided after it. */
export function replicasAt(current: number, changes: readonly { timeMs: number; from: number; to: number }[], sinceMs: number): number {
  let r = current;
  for (let i = changes.length - 1; i >= 0; i--) {
    const c = changes[i];
    if (c.timeMs <= sinceMs) break;
    r -= c.to - c.from;
  }
  return r;
}
