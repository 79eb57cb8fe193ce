// The autoscaler's decision: pure, deterministic, time passed in. Modelled on Knative's KPA
// (stable and panic windows) with HPA-style rate limits and stabilization windows, and
// scale-to-zero with a grace period. The loop around it does all I/O.
import type { RateRule, ScaleDecision, ScalerState, ScalingBounds, ScalingPolicy, TargetSample, MetricInputs } from './types.js';
import { metricInputs, replicasAt } from './windows.js';

export interface Observation {
  /** Replicas the target has now (desired by the last decision and applied). */
  currentReplicas: number;
  /** New samples since the previous tick. */
  samples: readonly TargetSample[];
}

export interface DecideResult {
  decision: ScaleDecision;
  nextState: ScalerState;
}

function rateLimit(rule: RateRule, base: number, roundUp: boolean): number {
  const byInstances = rule.instances;
  const byPercent = rule.percent === undefined ? undefined : (roundUp ? Math.ceil : Math.floor)((base * rule.percent) / 100);
  if (byInstances === undefined && byPercent === undefined) return Number.POSITIVE_INFINITY;
  if (byInstances === undefined) return byPercent!;
  if (byPercent === undefined) return byInstances;
  return rule.selectPolicy === 'Min' ? Math.min(byInstances, byPercent) : Math.max(byInstances, byPercent);
}

function isActive(s: TargetSample): boolean {
  if ((s.demand ?? 0) > 0) return true;
  for (const v of Object.values(s.values)) if (v > 0) return true;
  return false;
}

function fmt(n: number): string {
  return Number.isInteger(n) ? String(n) : n.toFixed(2);
}

function describeInputs(inputs: Record<string, MetricInputs>, key: 'stableAverage' | 'panicAverage'): string {
  return Object.entries(inputs)
    .map(([name, m]) => `${name} ${fmt(m[key])} vs target ${fmt(m.target)}/replica`)
    .join(', ');
}

/**
 * Decides the replicas of one scale target. Returns the decision (or why none can be made)
 * and the state for the next tick; never throws for missing data.
 */
export function decide(policy: ScalingPolicy, bounds: ScalingBounds, obs: Observation, state: ScalerState, nowMs: number): DecideResult {
  const current = obs.currentReplicas;
  const panicWindowMs = policy.panic?.windowMs ?? 0;
  const keepMs = Math.max(policy.stableWindowMs, panicWindowMs, policy.scaleUp.stabilizationWindowMs, policy.scaleDown.stabilizationWindowMs);
  const samples = [...state.samples, ...obs.samples].filter((s) => s.timeMs > nowMs - keepMs && s.timeMs <= nowMs).sort((a, b) => a.timeMs - b.timeMs);
  let lastActiveMs = state.lastActiveMs;
  for (const s of obs.samples) if (isActive(s) && (lastActiveMs === null || s.timeMs > lastActiveMs)) lastActiveMs = s.timeMs;
  const next: ScalerState = {
    samples,
    recommendations: state.recommendations.filter((r) => r.timeMs > nowMs - keepMs),
    changes: state.changes.filter((c) => c.timeMs > nowMs - Math.max(policy.scaleUp.periodMs, policy.scaleDown.periodMs, policy.panic?.periodMs ?? 0)),
    panicUntilMs: state.panicUntilMs,
    lastActiveMs,
  };
  const decided = (desired: number, mode: 'stable' | 'panic', reason: string, inputs: Record<string, MetricInputs>): DecideResult => {
    if (desired !== current) next.changes = [...next.changes, { timeMs: nowMs, from: current, to: desired }];
    return { decision: { valid: true, currentReplicas: current, desiredReplicas: desired, mode, reason, inputs }, nextState: next };
  };

  // Scale from zero: any sign of demand wakes the target at once, without waiting for windows.
  if (current === 0) {
    const recent = samples.filter((s) => s.timeMs > nowMs - Math.max(panicWindowMs, 1));
    const demand = recent.reduce((m, s) => Math.max(m, s.demand ?? 0), 0);
    if (demand > 0 || recent.some(isActive)) {
      const want = Math.min(bounds.maxReplicas, Math.max(1, bounds.minReplicas));
      return decided(want, 'stable', `scale from zero: ${demand > 0 ? `${demand} request(s) held by gateways` : 'load observed'} while no replica runs`, {});
    }
  }

  const stableSince = nowMs - policy.stableWindowMs;
  const panicSince = nowMs - panicWindowMs;
  const inputs: Record<string, MetricInputs> = {};
  const tolerance = policy.tolerancePercent / 100;
  for (const m of policy.metrics) {
    const mi = metricInputs(samples, m, current, tolerance, stableSince, panicSince);
    if (mi) inputs[m.name] = mi;
  }
  if (Object.keys(inputs).length === 0) {
    if (current < bounds.minReplicas || current > bounds.maxReplicas) {
      const want = Math.min(bounds.maxReplicas, Math.max(bounds.minReplicas, current));
      return decided(want, 'stable', `replicas ${current} outside [${bounds.minReplicas}, ${bounds.maxReplicas}]: clamped without metrics`, {});
    }
    const reason = samples.length === 0 ? 'no-data' : 'no-metrics';
    const detail = samples.length === 0 ? `no samples in the last ${policy.stableWindowMs} ms` : `no sample carries ${policy.metrics.map((m) => m.name).join(', ')}`;
    return { decision: { valid: false, currentReplicas: current, reason, detail }, nextState: next };
  }
  const values = Object.values(inputs);
  const stableWant = Math.max(...values.map((m) => m.stableReplicas));
  const panicWant = Math.max(...values.map((m) => m.panicReplicas));

  // Panic mode: a burst in the short window well above what runs now.
  const panic = policy.panic;
  let inPanic = next.panicUntilMs !== null && nowMs < next.panicUntilMs;
  let leftPanic = false;
  if (panic && current > 0 && panicWant >= (current * panic.thresholdPercent) / 100) {
    next.panicUntilMs = nowMs + panic.holdMs;
    inPanic = true;
  } else if (!inPanic && next.panicUntilMs !== null) {
    next.panicUntilMs = null;
    leftPanic = true;
  }
  next.recommendations = [...next.recommendations, { timeMs: nowMs, replicas: stableWant }];
  const clamp = (n: number) => Math.min(bounds.maxReplicas, Math.max(bounds.minReplicas, n));

  if (inPanic && panic) {
    // The cap is on the count `periodMs` ago, so several decisions within a period share it.
    const base = panic.periodMs > 0 ? replicasAt(current, next.changes, nowMs - panic.periodMs) : current;
    const cap = Math.max(current, Math.max(base + 1, Math.floor((base * panic.percent) / 100)));
    const want = clamp(Math.min(cap, Math.max(current, panicWant, stableWant)));
    const capped = Math.max(panicWant, stableWant) > cap ? ` (growth capped at ${panic.percent}% of ${base}${panic.periodMs > 0 ? ` per ${panic.periodMs} ms` : ''})` : '';
    // What panic chose is this tick's recommendation: when the hold ends, the scale-down
    // stabilization window then keeps it until the stable average no longer mixes in the
    // load from before the burst (otherwise leaving panic would scale down, then up again).
    next.recommendations[next.recommendations.length - 1] = { timeMs: nowMs, replicas: want };
    return decided(want, 'panic', `panic: ${describeInputs(inputs, 'panicAverage')} over the last ${panicWindowMs} ms asks for ${panicWant} replicas; never scaling down while panicking${capped}`, inputs);
  }

  let want = stableWant;
  let why: string;
  if (want > current) {
    // Scale up to the smallest recommendation of the window, so a blip does not trigger it.
    const windowMin = Math.min(...next.recommendations.filter((r) => r.timeMs > nowMs - policy.scaleUp.stabilizationWindowMs || r.timeMs === nowMs).map((r) => r.replicas));
    want = Math.max(current, windowMin);
    const base = replicasAt(current, next.changes, nowMs - policy.scaleUp.periodMs);
    const limit = base + rateLimit(policy.scaleUp, base, true);
    if (want > limit) want = Math.max(current, limit);
    why = `scale up: ${describeInputs(inputs, 'stableAverage')} over the last ${policy.stableWindowMs} ms asks for ${stableWant}`;
    if (want < stableWant) why += `; limited to ${want} by the stabilization window and the rate of ${policy.scaleUp.instances ?? '-'} instances / ${policy.scaleUp.percent ?? '-'}% per ${policy.scaleUp.periodMs} ms`;
  } else if (want < current) {
    // Scale down only to the largest recommendation of the window, so load must stay low.
    const windowMax = Math.max(...next.recommendations.filter((r) => r.timeMs > nowMs - policy.scaleDown.stabilizationWindowMs || r.timeMs === nowMs).map((r) => r.replicas));
    want = Math.min(current, windowMax);
    const base = replicasAt(current, next.changes, nowMs - policy.scaleDown.periodMs);
    const floor = base - rateLimit(policy.scaleDown, base, false);
    if (want < floor) want = Math.min(current, floor);
    why = `scale down: ${describeInputs(inputs, 'stableAverage')} over the last ${policy.stableWindowMs} ms asks for ${stableWant}`;
    if (want > stableWant) why += `; held at ${want} by the ${policy.scaleDown.stabilizationWindowMs} ms stabilization window and the rate limit`;
  } else {
    why = `steady: ${describeInputs(inputs, 'stableAverage')} within ${policy.tolerancePercent}% tolerance of ${current} replicas`;
  }
  if (leftPanic) why = `left panic mode; ${why}`;

  // Scale to zero only after the grace period without any load.
  // The rate limit does not apply to the last replica: percent rules could never reach zero.
  if (stableWant === 0 && bounds.minReplicas === 0 && want <= 1) {
    const idleMs = lastActiveMs === null ? Number.POSITIVE_INFINITY : nowMs - lastActiveMs;
    if (idleMs < bounds.scaleToZeroGraceMs) {
      want = Math.max(want, Math.min(current, 1));
      if (current > 0) why += `; keeping ${want} until ${bounds.scaleToZeroGraceMs} ms without traffic (idle ${idleMs} ms)`;
    } else {
      want = 0;
      if (current > 0) why = `scale to zero: no traffic for ${idleMs === Number.POSITIVE_INFINITY ? 'the whole window' : `${idleMs} ms`} (grace ${bounds.scaleToZeroGraceMs} ms)`;
    }
  }
  const clamped = clamp(want);
  if (clamped !== want) why += `; clamped to [${bounds.minReplicas}, ${bounds.maxReplicas}]`;
  return decided(clamped, 'stable', why, inputs);
}
