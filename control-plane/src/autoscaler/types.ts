// Inputs, state and outputs of the autoscaler's pure decision. Field names follow the
// AutoscalingPolicy / AutoscalingPolicyBinding resources (see schemas); durations are already
// parsed to milliseconds here so the core never parses strings.

/** One metric the policy scales on: the target is per ready replica (like HPA AverageValue). */
export interface MetricTarget {
  /** Key in TargetSample.values (`query:<metricName>` for an external metric). */
  name: string;
  target: number;
  /** External metric: the PromQL query whose result is the target's total (see ../external). */
  query?: string;
}

/** Rate limit of one direction: at most max(instances, percent% of current) per period. */
export interface RateRule {
  instances?: number;
  percent?: number;
  periodMs: number;
  /** 'Max' (default) allows the larger of the two limits, 'Min' the smaller. */
  selectPolicy?: 'Max' | 'Min';
  /** Recommendations are smoothed over this window (up: min of window, down: max of window). */
  stabilizationWindowMs: number;
}

export interface PanicRule {
  /** Growth cap while panicking: at most percent% of current replicas. */
  percent: number;
  /** Length of the short (panic) averaging window. */
  windowMs: number;
  /** Enter panic when the panic-window recommendation is >= current × threshold / 100. */
  thresholdPercent: number;
  /** Stay in panic at least this long after the last panic trigger. */
  holdMs: number;
  /** The growth cap holds over this period (0: per decision): at most percent% of the count a period ago. */
  periodMs: number;
}

/** The policy after defaulting and unit parsing. */
export interface ScalingPolicy {
  metrics: MetricTarget[];
  tolerancePercent: number;
  scaleUp: RateRule;
  scaleDown: RateRule;
  panic?: PanicRule;
  /** Length of the long (stable) averaging window. */
  stableWindowMs: number;
}

/** The scale target after defaulting. */
export interface ScalingBounds {
  minReplicas: number;
  maxReplicas: number;
  /** Time without any load before a target with minReplicas 0 goes to zero. */
  scaleToZeroGraceMs: number;
}

/**
 * One observation of the target: metric values summed over its replicas, taken at timeMs.
 * `demand` counts requests held by gateways because nothing is ready (scale-from-zero signal).
 */
export interface TargetSample {
  timeMs: number;
  values: Record<string, number>;
  demand?: number;
}

/** What the decision remembers between ticks. Plain data, so it can be rebuilt from the stream. */
export interface ScalerState {
  samples: TargetSample[];
  /** Recent recommendations, for stabilization windows. */
  recommendations: { timeMs: number; replicas: number }[];
  /** Recent changes actually decided, for rate limits. */
  changes: { timeMs: number; from: number; to: number }[];
  panicUntilMs: number | null;
  lastActiveMs: number | null;
}

export type ScaleMode = 'stable' | 'panic';

export interface MetricInputs {
  target: number;
  stableAverage: number;
  panicAverage: number;
  stableReplicas: number;
  panicReplicas: number;
}

/** A decision, or why none could be made (a value, not an exception). */
export type ScaleDecision =
  | {
      valid: true;
      currentReplicas: number;
      desiredReplicas: number;
      mode: ScaleMode;
      reason: string;
      inputs: Record<string, MetricInputs>;
    }
  | { valid: false; currentReplicas: number; reason: 'no-data' | 'no-metrics'; detail: string };

/** Returns an empty state for a new target. */
export function emptyScalerState(): ScalerState {
  return { samples: [], recommendations: [], changes: [], panicUntilMs: null, lastActiveMs: null };
}
