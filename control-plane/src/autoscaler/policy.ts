// AutoscalingPolicy + AutoscalingPolicyBinding resources -> the core's ScalingPolicy and
// ScalingBounds, with Knative/HPA-like defaults. Pure: validation returns every problem with
// its path, and translation throws InvalidScalingPolicyError listing them (bad configuration
// fails loudly, never with a silent default).
import { isQuantity, parseDurationMs, parseQuantity, type AutoscalingPolicy, type AutoscalingPolicyBinding, type StablePolicy } from '@matrixinfer/schemas';
import type { CostParam } from './cost.js';
import { affordableReplicas, minimumCost } from './budget.js';
import { InvalidScalingPolicyError } from './errors.js';
import { QUERY_METRIC_PREFIX, resolveMetric } from './metrics.js';
import type { MetricTarget, RateRule, ScalingBounds, ScalingPolicy } from './types.js';

/** Annotations for the knobs the resources have no field for (Knative names them the same way). */
export const ANNOTATIONS = {
  /** On an AutoscalingPolicy: length of the stable averaging window (duration). */
  stableWindow: 'autoscaling.matrixinfer.ai/stable-window',
  /** On an AutoscalingPolicy: panic window as a percentage of the stable window (1-100). */
  panicWindowPercent: 'autoscaling.matrixinfer.ai/panic-window-percent',
  /** On an AutoscalingPolicyBinding: idle time before a minReplicas-0 target goes to zero. */
  scaleToZeroGracePeriod: 'autoscaling.matrixinfer.ai/scale-to-zero-grace-period',
} as const;

/** Defaults, in milliseconds and percent. */
export const POLICY_DEFAULTS = {
  stableWindowMs: 60_000,
  panicWindowPercent: 10,
  tolerancePercent: 10,
  periodMs: 15_000,
  /** Scale up with no rate given: HPA's 4 pods or 100% per period, whichever is more. */
  scaleUpInstances: 4,
  scaleUpPercent: 100,
  scaleUpStabilizationMs: 0,
  /** Scale down with no rate given: Knative's max scale-down rate 2 (half per period). */
  scaleDownPercent: 50,
  panicPercent: 1000,
  panicThresholdPercent: 200,
  panicHoldMs: 60_000,
  scaleToZeroGraceMs: 30_000,
  /** The Model field's documented maximum. */
  maxScaleToZeroGraceMs: 1_800_000,
  costExpansionRatePercent: 200,
  minReplicas: 1,
} as const;

type Issue = { path: string; message: string };

function duration(text: string | undefined, path: string, issues: Issue[], fallback: number): number {
  if (text === undefined) return fallback;
  const ms = parseDurationMs(text);
  if (ms === undefined) {
    issues.push({ path, message: `"${text}" is not a duration (e.g. 500ms, 30s, 1m30s)` });
    return fallback;
  }
  return ms;
}

function rateRule(p: StablePolicy | undefined, path: string, issues: Issue[], dflt: { instances?: number; percent?: number; stabilizationMs: number }): RateRule {
  const noRate = p?.instances === undefined && p?.percent === undefined;
  const rule: RateRule = {
    periodMs: duration(p?.period, `${path}.period`, issues, POLICY_DEFAULTS.periodMs),
    selectPolicy: p?.selectPolicy === 'And' ? 'Min' : 'Max',
    stabilizationWindowMs: duration(p?.stabilizationWindow, `${path}.stabilizationWindow`, issues, dflt.stabilizationMs),
  };
  const instances = noRate ? dflt.instances : p?.instances;
  const percent = noRate ? dflt.percent : p?.percent;
  if (instances !== undefined) rule.instances = instances;
  if (percent !== undefined) rule.percent = percent;
  if (rule.periodMs <= 0) issues.push({ path: `${path}.period`, message: 'must be longer than 0' });
  if (rule.instances === 0 && (rule.percent ?? 0) === 0) issues.push({ path, message: 'instances and percent are both 0: the target could never change' });
  return rule;
}

function annotation(r: { metadata: { annotations?: Record<string, string> } }, key: string): string | undefined {
  return r.metadata.annotations?.[key];
}

function translate(policy: AutoscalingPolicy): { policy: ScalingPolicy; issues: Issue[] } {
  const issues: Issue[] = [];
  const spec = policy.spec;
  const metrics = (spec.metrics ?? []).map((m, i): MetricTarget => {
    // targetValue is a Kubernetes quantity (10, "5", "500m"); the autoscaler computes with its number.
    const target = isQuantity(m.targetValue) ? parseQuantity(m.targetValue) : Number.NaN;
    if (!(target > 0)) issues.push({ path: `spec.metrics[${i}].targetValue`, message: 'must be a quantity greater than 0' });
    if (m.query !== undefined) {
      // External metric: metricName is only the label of the query's result.
      if (m.query.trim() === '') issues.push({ path: `spec.metrics[${i}].query`, message: 'must be a PromQL expression, not blank' });
      if (m.metricName.trim() === '') issues.push({ path: `spec.metrics[${i}].metricName`, message: 'must not be blank (it labels the query result)' });
      return { name: `${QUERY_METRIC_PREFIX}${m.metricName.trim()}`, target, query: m.query.trim() };
    }
    const r = resolveMetric(m.metricName);
    if ('error' in r) issues.push({ path: `spec.metrics[${i}].metricName`, message: r.error });
    return { name: 'metric' in r ? r.metric.name : m.metricName, target };
  });
  if (metrics.length === 0) issues.push({ path: 'spec.metrics', message: 'at least one metric is needed' });
  const seen = new Set<string>();
  metrics.forEach((m, i) => {
    if (seen.has(m.name)) issues.push({ path: `spec.metrics[${i}].metricName`, message: `names the same metric (${m.name}) as an earlier entry` });
    seen.add(m.name);
  });

  const stableWindowMs = duration(annotation(policy, ANNOTATIONS.stableWindow), `metadata.annotations["${ANNOTATIONS.stableWindow}"]`, issues, POLICY_DEFAULTS.stableWindowMs);
  if (stableWindowMs <= 0) issues.push({ path: `metadata.annotations["${ANNOTATIONS.stableWindow}"]`, message: 'must be longer than 0' });
  const pctText = annotation(policy, ANNOTATIONS.panicWindowPercent);
  const panicPct = pctText === undefined ? POLICY_DEFAULTS.panicWindowPercent : Number(pctText);
  if (!(Number.isFinite(panicPct) && panicPct >= 1 && panicPct <= 100)) {
    issues.push({ path: `metadata.annotations["${ANNOTATIONS.panicWindowPercent}"]`, message: `"${pctText}" must be a number from 1 to 100` });
  }

  const up = spec.behavior?.scaleUp;
  const scaleUp = rateRule(up?.stablePolicy, 'spec.behavior.scaleUp.stablePolicy', issues, {
    instances: POLICY_DEFAULTS.scaleUpInstances,
    percent: POLICY_DEFAULTS.scaleUpPercent,
    stabilizationMs: POLICY_DEFAULTS.scaleUpStabilizationMs,
  });
  // Scale-down waits a stable window by default: load must stay low that long (Knative).
  const scaleDown = rateRule(spec.behavior?.scaleDown, 'spec.behavior.scaleDown', issues, { percent: POLICY_DEFAULTS.scaleDownPercent, stabilizationMs: stableWindowMs });
  const pp = up?.panicPolicy;
  const panic = {
    percent: pp?.percent ?? POLICY_DEFAULTS.panicPercent,
    windowMs: Math.max(1, Math.round((stableWindowMs * (Number.isFinite(panicPct) ? panicPct : POLICY_DEFAULTS.panicWindowPercent)) / 100)),
    thresholdPercent: pp?.panicThresholdPercent ?? POLICY_DEFAULTS.panicThresholdPercent,
    holdMs: duration(pp?.panicModeHold, 'spec.behavior.scaleUp.panicPolicy.panicModeHold', issues, POLICY_DEFAULTS.panicHoldMs),
    periodMs: duration(pp?.period, 'spec.behavior.scaleUp.panicPolicy.period', issues, 0),
  };
  if (panic.thresholdPercent <= 100) issues.push({ path: 'spec.behavior.scaleUp.panicPolicy.panicThresholdPercent', message: 'must be above 100 (panic means more than the current replicas are needed)' });
  if (panic.percent < 100) issues.push({ path: 'spec.behavior.scaleUp.panicPolicy.percent', message: 'must be at least 100 (it caps growth while panicking)' });

  const tolerancePercent = spec.tolerancePercent ?? POLICY_DEFAULTS.tolerancePercent;
  if (tolerancePercent < 0 || tolerancePercent > 100) issues.push({ path: 'spec.tolerancePercent', message: 'must be from 0 to 100' });
  return { policy: { metrics, tolerancePercent, scaleUp, scaleDown, panic, stableWindowMs }, issues };
}

/** Every problem that keeps the autoscaler from using `policy` (empty when it is usable). */
export function validateScalingPolicy(policy: AutoscalingPolicy): Issue[] {
  return translate(policy).issues;
}

/** The core's policy for an AutoscalingPolicy, defaults filled in; throws InvalidScalingPolicyError. */
export function toScalingPolicy(policy: AutoscalingPolicy): ScalingPolicy {
  const { policy: out, issues } = translate(policy);
  if (issues.length > 0) throw new InvalidScalingPolicyError(issues);
  return out;
}

/** What a binding scales: one ModelInfer, or several split by cost (optimizerConfiguration). */
export interface BindingPlan {
  namespace: string;
  binding: string;
  policy: string;
  mode: 'single' | 'optimizer';
  /** Member ModelInfers with their bounds (cost 0 for a single target). */
  targets: CostParam[];
  costExpansionRatePercent: number;
  /** Bounds of the whole binding (sums over the members for an optimizer). */
  bounds: ScalingBounds;
  /** Cost ceiling per hour (spec.budget), when set. */
  maxCostPerHour?: number;
}

/**
 * The scale targets and bounds of a binding. `graceMsOf(target)` gives a target's
 * scaleToZeroGracePeriod from its Model backend when known; the binding's annotation wins,
 * then the longest member grace, then 30 s. Throws InvalidScalingPolicyError.
 */
export function toBindingPlan(
  binding: AutoscalingPolicyBinding,
  graceMsOf: (target: string) => number | undefined = () => undefined,
  costOf: (target: string) => number | undefined = () => undefined,
): BindingPlan {
  const issues: Issue[] = [];
  const spec = binding.spec;
  const sc = spec.scalingConfiguration;
  const oc = spec.optimizerConfiguration;
  if ((sc === undefined) === (oc === undefined)) issues.push({ path: 'spec', message: 'must set exactly one of scalingConfiguration and optimizerConfiguration' });
  let targets: CostParam[] = [];
  if (sc) targets = [withRef({ target: sc.target.targetRef.name, cost: costOf(sc.target.targetRef.name) ?? 0, minReplicas: sc.minReplicas ?? POLICY_DEFAULTS.minReplicas, maxReplicas: sc.maxReplicas }, sc.target.targetRef)];
  else if (oc) targets = oc.params.map((p) => withRef({ target: p.target.targetRef.name, cost: p.cost ?? 0, minReplicas: p.minReplicas ?? 0, maxReplicas: p.maxReplicas }, p.target.targetRef));
  const base = sc ? 'spec.scalingConfiguration' : 'spec.optimizerConfiguration.params';
  targets.forEach((t, i) => {
    const path = sc ? base : `${base}[${i}]`;
    if (t.ref && t.ref.apiVersion === '') issues.push({ path: `${path}.target.targetRef.apiVersion`, message: `is required for kind ${t.ref.kind}` });
    if (t.minReplicas < 0) issues.push({ path: `${path}.minReplicas`, message: 'must not be negative' });
    if (t.maxReplicas < 1) issues.push({ path: `${path}.maxReplicas`, message: 'must be at least 1' });
    if (t.minReplicas > t.maxReplicas) issues.push({ path: `${path}.minReplicas`, message: `must not be greater than maxReplicas (${t.maxReplicas})` });
  });
  const names = new Set<string>();
  for (const t of targets) {
    if (names.has(t.target)) issues.push({ path: base, message: `target ${t.target} is listed twice` });
    names.add(t.target);
  }
  const rate = oc?.costExpansionRatePercent ?? POLICY_DEFAULTS.costExpansionRatePercent;
  if (rate < 100) issues.push({ path: 'spec.optimizerConfiguration.costExpansionRatePercent', message: 'must be at least 100' });
  const maxCost = spec.budget?.maxCostPerHour;
  if (maxCost !== undefined) budgetIssues(targets, maxCost, sc ? "the target Model backend's scalingCost" : 'optimizerConfiguration.params[].cost', issues);

  const graceKey = `metadata.annotations["${ANNOTATIONS.scaleToZeroGracePeriod}"]`;
  const fromMembers = targets.map((t) => graceMsOf(t.target)).filter((g): g is number => g !== undefined);
  const memberGrace = fromMembers.length > 0 ? Math.max(...fromMembers) : POLICY_DEFAULTS.scaleToZeroGraceMs;
  const grace = duration(annotation(binding, ANNOTATIONS.scaleToZeroGracePeriod), graceKey, issues, memberGrace);
  if (grace > POLICY_DEFAULTS.maxScaleToZeroGraceMs) issues.push({ path: graceKey, message: `must be at most ${POLICY_DEFAULTS.maxScaleToZeroGraceMs / 1000}s` });
  if (issues.length > 0) throw new InvalidScalingPolicyError(issues);
  return {
    namespace: binding.metadata.namespace ?? 'default',
    binding: binding.metadata.name,
    policy: spec.policyRef.name,
    mode: sc ? 'single' : 'optimizer',
    targets,
    costExpansionRatePercent: rate,
    bounds: {
      minReplicas: targets.reduce((a, t) => a + t.minReplicas, 0),
      maxReplicas: targets.reduce((a, t) => a + t.maxReplicas, 0),
      scaleToZeroGraceMs: grace,
    },
    ...(maxCost === undefined ? {} : { maxCostPerHour: maxCost }),
  };
}

// A target that is not a ModelInfer keeps its kind and API version: the autoscaler reads its
// count from scale observations and the Kubernetes applier patches its scale subresource.
function withRef(t: CostParam, ref: { kind?: string; apiVersion?: string }): CostParam {
  const kind = ref.kind ?? 'ModelInfer';
  return kind === 'ModelInfer' ? t : { ...t, ref: { kind, apiVersion: ref.apiVersion ?? '' } };
}

// A ceiling that cannot bind (nothing costs anything) or cannot be met (the minimums cost more)
// is a mistake in the binding, said at once rather than ignored or broken at run time.
function budgetIssues(targets: readonly CostParam[], maxCost: number, costFrom: string, issues: Issue[]): void {
  const path = 'spec.budget.maxCostPerHour';
  if (!Number.isFinite(maxCost) || maxCost < 0) issues.push({ path, message: 'must be a number of at least 0' });
  else if (targets.every((t) => t.cost === 0)) issues.push({ path, message: `has nothing to limit: every target costs 0 (set ${costFrom})` });
  else if (minimumCost(targets) > maxCost) issues.push({ path, message: `is below the cost of the minReplicas (${minimumCost(targets)} per hour)` });
  else if (affordableReplicas(targets, maxCost) === 0) issues.push({ path, message: `pays for no replica (the cheapest costs ${Math.min(...targets.map((t) => t.cost))} per hour)` });
}

/** A Model backend's scaleToZeroGracePeriod in ms (default 30 s), or undefined when unparsable. */
export function graceMsOfBackend(period: string | undefined): number | undefined {
  if (period === undefined) return POLICY_DEFAULTS.scaleToZeroGraceMs;
  return parseDurationMs(period);
}
