// One tick for one scale unit (a binding): its sample at the tick, decide(), and for an
// optimizer binding the cost split over its ModelInfers. Pure: the loop does the I/O with
// what this returns (decision event data, ModelInfer writes). Also rebuilds a unit's window
// state from the sample book, so a restarted autoscaler does not start blind.
import { affordableReplicas, costOf, fitToBudget, type BudgetOutcome } from '../budget.js';
import { splitByCost } from '../cost.js';
import { decide } from '../decide.js';
import { scaleTargetKey } from '@matrixinfer/events';
import { ANY_METRIC_PREFIX } from '../metrics.js';
import { emptyScalerState, type MetricInputs, type ScaleMode, type ScalerState, type ScalingBounds, type TargetSample } from '../types.js';
import { aggregateAt, externalAt, sumSamples, type ExternalProblem, type SampleBook } from './book.js';
import type { ScaleUnit, Topology } from './topology.js';

/** Event type of an autoscaler decision on `mi.decisions.autoscaler.<ns>.<name>`. */
export const AUTOSCALER_DECISION = 'autoscaler.decision';

/** Data of an autoscaler decision event (also what `mi-status` keeps, plus the time). */
export interface AutoscalerDecisionData {
  namespace: string;
  /** ModelInfer (single target) or binding (optimizer). */
  name: string;
  binding: string;
  policy?: string;
  /** Start of the tick this decision belongs to (epoch ms); with `name` it identifies the decision. */
  tickStartMs: number;
  valid: boolean;
  mode?: ScaleMode;
  currentReplicas: number;
  desiredReplicas: number;
  /** In words. */
  reason: string;
  /** For a decision that could not be made: the code (no-data, no-metrics, unknown-metric, invalid-binding, target-missing, external-metric-unavailable). */
  invalidReason?: string;
  /** Query metrics without a value at this tick (why the autoscaler holds: external-metric-unavailable). */
  externalProblems?: ExternalProblem[];
  /** Per metric: window averages, targets and the replicas each asks for. */
  inputs: Record<string, MetricInputs>;
  /** Policy metrics read from the engines' /metrics that no endpoint of the target exposed at this tick. */
  unknownMetrics?: string[];
  /** Values of the sample taken at this tick (summed over the target's endpoints; of the any-metric values only the policy's). */
  values: Record<string, number>;
  /** Requests held by gateways for the target's models at this tick. */
  demand: number;
  /** Per ModelInfer: replicas now and wanted (one entry for a single target). */
  replicas: Record<string, { current: number; desired: number }>;
  /** The binding's cost ceiling at this tick, when it has one. */
  budget?: BudgetOutcome;
  /** Targets that are not ModelInfers, by name: the Kubernetes applier patches their scale subresource. */
  targetRefs?: Record<string, { apiVersion: string; kind: string }>;
}

/** A ModelInfer replica change to apply. */
export interface ReplicaWrite {
  namespace: string;
  target: string;
  from: number;
  to: number;
  /** Set for a target that is not a ModelInfer: the Kubernetes scale applier writes it, not the store. */
  ref?: { apiVersion: string; kind: string };
}

export interface StepResult {
  data: AutoscalerDecisionData;
  writes: ReplicaWrite[];
  nextState: ScalerState;
}

export interface StepContext {
  topology: Topology;
  book: SampleBook;
  /** Newest sample of an endpoint older than this is not counted. */
  staleMs: number;
}

/** The unit's sample at `atMs` (summed over its members), or null when nothing recent is known. */
export function unitSample(unit: Extract<ScaleUnit, { ok: true }>, ctx: StepContext, atMs: number): TargetSample | null {
  // Engine and gateway samples name ModelInfers; another kind's load comes from external metrics.
  const samples = unit.plan.targets.map((t) => (t.ref ? null : aggregateAt(ctx.book, unit.namespace, t.target, ctx.topology.models.get(`${unit.namespace}/${t.target}`) ?? [], atMs, ctx.staleMs)));
  return samples.length === 1 ? samples[0] : sumSamples(atMs, samples);
}

/** What a unit observes at `atMs`: its sample with the binding's query values added, and the query metrics that have none. */
export interface UnitObservation {
  sample: TargetSample | null;
  problems: ExternalProblem[];
}

/** The unit's sample at `atMs` plus its external (PromQL) values, keyed `query:<metricName>` (the binding's total, not summed again). */
export function unitObservation(unit: Extract<ScaleUnit, { ok: true }>, ctx: StepContext, atMs: number): UnitObservation {
  const sample = unitSample(unit, ctx, atMs);
  const ext = externalAt(ctx.book, unit.namespace, unit.plan.binding, unit.policy.metrics, atMs, ctx.staleMs);
  if (Object.keys(ext.values).length === 0) return { sample, problems: ext.problems };
  const merged: TargetSample = sample ? { ...sample, values: { ...sample.values, ...ext.values } } : { timeMs: atMs, values: ext.values };
  return { sample: merged, problems: ext.problems };
}

/**
 * True when a tick must hold (publish external-metric-unavailable, decide nothing): a query metric
 * has no value. Requests held by gateways still wake a target at zero (scale-from-zero needs no metric).
 */
export function mustHold(obs: UnitObservation, current: number): boolean {
  return obs.problems.length > 0 && !(current === 0 && (obs.sample?.demand ?? 0) > 0);
}

/** Replicas each member ModelInfer has (spec.replicas), or the first missing target. */
export function currentReplicas(unit: Extract<ScaleUnit, { ok: true }>, topology: Topology): { byTarget: Record<string, number> } | { missing: string } {
  const byTarget: Record<string, number> = {};
  for (const t of unit.plan.targets) {
    if (t.ref) {
      const seen = topology.scales.get(scaleTargetKey(unit.namespace, t.ref.kind, t.target));
      if (seen?.specReplicas === undefined) {
        const why = seen?.error ?? 'no scale observation: targets other than ModelInfer are scaled in Kubernetes mode (mi controller --kubernetes reads their scale subresource)';
        return { missing: `${t.ref.kind} ${t.target} (${t.ref.apiVersion}) cannot be read in namespace ${unit.namespace}: ${why}` };
      }
      byTarget[t.target] = seen.specReplicas;
      continue;
    }
    const mi = topology.infers.get(`${unit.namespace}/${t.target}`);
    if (!mi) return { missing: `ModelInfer ${t.target} not found in namespace ${unit.namespace}` };
    byTarget[t.target] = mi.spec.replicas ?? 1;
  }
  return { byTarget };
}

/** The unit's bounds with its cost ceiling applied: maxReplicas at most what the budget pays for. */
export function effectiveBounds(unit: Extract<ScaleUnit, { ok: true }>): ScalingBounds {
  const { bounds, maxCostPerHour, targets } = unit.plan;
  if (maxCostPerHour === undefined) return bounds;
  const affordable = affordableReplicas(targets, maxCostPerHour) ?? bounds.minReplicas;
  return affordable >= bounds.maxReplicas ? bounds : { ...bounds, maxReplicas: Math.max(bounds.minReplicas, affordable) };
}

/** How far back a unit's decisions look. */
export function keepMsOf(unit: Extract<ScaleUnit, { ok: true }>): number {
  const p = unit.policy;
  return Math.max(p.stableWindowMs, p.panic?.windowMs ?? 0, p.scaleUp.stabilizationWindowMs, p.scaleDown.stabilizationWindowMs);
}

/**
 * Window state as if the unit had been decided at every tick of the last window before
 * `tickStartMs` with `current` replicas: samples, recommendations and panic state come back;
 * rate-limit history does not (nothing was applied by this replay).
 */
export function rebuildState(unit: Extract<ScaleUnit, { ok: true }>, ctx: StepContext, current: number, tickStartMs: number, tickMs: number): ScalerState {
  let state = emptyScalerState();
  const first = tickStartMs - Math.ceil(keepMsOf(unit) / tickMs) * tickMs;
  for (let t = first; t < tickStartMs; t += tickMs) {
    const obs = unitObservation(unit, ctx, t);
    // As live: a tick that held decided nothing.
    if (mustHold(obs, current)) continue;
    state = decide(unit.policy, effectiveBounds(unit), { currentReplicas: current, samples: obs.sample ? [obs.sample] : [] }, state, t).nextState;
  }
  return { ...state, changes: [] };
}

function failed(unit: ScaleUnit, tickStartMs: number, code: string, reason: string, current: Record<string, number> = {}): AutoscalerDecisionData {
  const total = Object.values(current).reduce((a, b) => a + b, 0);
  const replicas: AutoscalerDecisionData['replicas'] = {};
  for (const [t, n] of Object.entries(current)) replicas[t] = { current: n, desired: n };
  const data: AutoscalerDecisionData = {
    namespace: unit.namespace,
    name: unit.name,
    binding: unit.ok ? unit.plan.binding : unit.binding,
    tickStartMs,
    valid: false,
    currentReplicas: total,
    desiredReplicas: total,
    reason,
    invalidReason: code,
    inputs: {},
    values: {},
    demand: 0,
    replicas,
  };
  if (unit.ok) data.policy = unit.plan.policy;
  return data;
}

/**
 * Any-metric names of the policy that the tick's sample lacks although engines reported (so the
 * engines do not expose them; a counter's first scrape also lacks its rate).
 */
export function unknownMetricsOf(policyMetrics: readonly { name: string }[], sample: TargetSample | null): string[] {
  if (sample === null) return [];
  const engines = Object.keys(sample.values).some((k) => k.startsWith(ANY_METRIC_PREFIX));
  return policyMetrics
    .filter((m) => m.name.startsWith(ANY_METRIC_PREFIX) && !(m.name in sample.values))
    .map((m) => m.name.slice(ANY_METRIC_PREFIX.length))
    .filter(() => engines);
}

// The sample's values without the engines' other families (a scrape has hundreds).
function reportedValues(policyMetrics: readonly { name: string }[], sample: TargetSample | null): Record<string, number> {
  const out: Record<string, number> = {};
  const wanted = new Set(policyMetrics.map((m) => m.name));
  for (const [k, v] of Object.entries(sample?.values ?? {})) if (!k.startsWith(ANY_METRIC_PREFIX) || wanted.has(k)) out[k] = v;
  return out;
}

/** Decides one unit at `tickStartMs`; see StepResult. */
export function stepUnit(unit: ScaleUnit, ctx: StepContext, state: ScalerState, tickStartMs: number): StepResult {
  if (!unit.ok) return { data: failed(unit, tickStartMs, 'invalid-binding', unit.error), writes: [], nextState: state };
  const cur = currentReplicas(unit, ctx.topology);
  if ('missing' in cur) return { data: failed(unit, tickStartMs, 'target-missing', cur.missing), writes: [], nextState: state };
  const total = Object.values(cur.byTarget).reduce((a, b) => a + b, 0);
  const obs = unitObservation(unit, ctx, tickStartMs);
  const sample = obs.sample;
  if (mustHold(obs, total)) {
    // Missing data never scales: the replicas stay as they are (no scale-down, never to zero).
    const data = failed(unit, tickStartMs, 'external-metric-unavailable', `external-metric-unavailable: holding ${total} replicas; ${describeProblems(obs.problems)}`, cur.byTarget);
    data.policy = unit.plan.policy;
    data.externalProblems = obs.problems;
    data.values = reportedValues(unit.policy.metrics, sample);
    data.demand = sample?.demand ?? 0;
    return { data, writes: [], nextState: state };
  }
  const observation = { currentReplicas: total, samples: sample ? [sample] : [] };
  const bounds = effectiveBounds(unit);
  const { decision, nextState } = decide(unit.policy, bounds, observation, state, tickStartMs);
  const unknown = unknownMetricsOf(unit.policy.metrics, sample);
  const unknownText = unknown.length === 0 ? '' : `metric(s) ${unknown.join(', ')} not exposed by any endpoint of the target`;
  if (!decision.valid) {
    const code = unknown.length > 0 && decision.reason === 'no-metrics' ? 'unknown-metric' : decision.reason;
    const data = failed(unit, tickStartMs, code, code === 'unknown-metric' ? `unknown-metric: ${unknownText}` : `${decision.reason}: ${decision.detail}`, cur.byTarget);
    data.policy = unit.plan.policy;
    if (unknown.length > 0) data.unknownMetrics = unknown;
    data.values = reportedValues(unit.policy.metrics, sample);
    return { data, writes: [], nextState };
  }

  let desiredBy: Record<string, number>;
  // Other metrics decided; the missing ones are named, never silently left out.
  let reason = unknownText === '' ? decision.reason : `${decision.reason}; ${unknownText}`;
  if (obs.problems.length > 0) reason = `${reason}; ${describeProblems(obs.problems)}`;
  if (unit.plan.mode === 'single') {
    desiredBy = { [unit.plan.targets[0].target]: decision.desiredReplicas };
  } else {
    const split = splitByCost(unit.plan.targets, decision.desiredReplicas, unit.plan.costExpansionRatePercent, cur.byTarget);
    desiredBy = split.replicas;
    reason = `${reason}; split: ${split.reason}`;
  }
  let budget: BudgetOutcome | undefined;
  const maxCost = unit.plan.maxCostPerHour;
  if (maxCost !== undefined) {
    const fitted = fitToBudget(unit.plan.targets, desiredBy, maxCost);
    if (Object.entries(fitted).some(([t, n]) => desiredBy[t] !== n)) reason = `${reason}; re-bought cheapest first to stay within the budget`;
    desiredBy = fitted;
    // What the same tick decides without the ceiling (the state is not kept): the load's own wish.
    const free = bounds === unit.plan.bounds ? decision : decide(unit.policy, unit.plan.bounds, observation, state, tickStartMs).decision;
    const wanted = free.valid ? free.desiredReplicas : decision.desiredReplicas;
    const costPerHour = costOf(unit.plan.targets, desiredBy);
    budget = { maxCostPerHour: maxCost, costPerHour, wantedReplicas: wanted, affordableReplicas: bounds.maxReplicas, limited: wanted > decision.desiredReplicas };
    if (budget.limited) reason = `${reason}; budget: the load asks for ${wanted} replicas, ${maxCost}/h pays for ${bounds.maxReplicas} (now ${costPerHour}/h)`;
  }
  const replicas: AutoscalerDecisionData['replicas'] = {};
  const writes: ReplicaWrite[] = [];
  for (const t of unit.plan.targets) {
    const from = cur.byTarget[t.target];
    const to = desiredBy[t.target] ?? from;
    replicas[t.target] = { current: from, desired: to };
    if (to !== from) writes.push({ namespace: unit.namespace, target: t.target, from, to, ...(t.ref ? { ref: t.ref } : {}) });
  }
  const data: AutoscalerDecisionData = {
    namespace: unit.namespace,
    name: unit.name,
    binding: unit.plan.binding,
    policy: unit.plan.policy,
    tickStartMs,
    valid: true,
    mode: decision.mode,
    currentReplicas: total,
    desiredReplicas: Object.values(desiredBy).reduce((a, b) => a + b, 0),
    reason,
    inputs: decision.inputs,
    values: reportedValues(unit.policy.metrics, sample),
    demand: sample?.demand ?? 0,
    replicas,
  };
  if (unknown.length > 0) data.unknownMetrics = unknown;
  if (budget) data.budget = budget;
  const refs = unit.plan.targets.filter((t) => t.ref);
  if (refs.length > 0) data.targetRefs = Object.fromEntries(refs.map((t) => [t.target, { ...t.ref! }]));
  if (obs.problems.length > 0) data.externalProblems = obs.problems;
  return { data, writes, nextState };
}

function describeProblems(problems: readonly ExternalProblem[]): string {
  return problems.map((p) => `${p.metric} (${p.query}) unavailable: ${p.message} [${p.code}]`).join('; ');
}

/** What must differ for a repeated decision to be published again (besides desired != current). */
export function decisionSignature(d: AutoscalerDecisionData): string {
  const head = d.reason.split(':')[0];
  // A hold whose cause changes (no sample yet -> Prometheus down) is published again at once.
  const external = (d.externalProblems ?? []).map((p) => `${p.metric}=${p.code}`).join(',');
  return [d.valid, d.mode ?? '-', d.currentReplicas, d.desiredReplicas, d.invalidReason ?? '-', head, d.budget?.limited ?? '-', external].join('|');
}
