// Public entry of the autoscaler core: the pure decision and the cost split.
export * from './types.js';
export { decide, type Observation, type DecideResult } from './decide.js';
export { splitByCost, type CostParam, type CostSplit } from './cost.js';
export { toScalingPolicy, toBindingPlan, validateScalingPolicy, graceMsOfBackend, ANNOTATIONS, POLICY_DEFAULTS, type BindingPlan } from './policy.js';
export { resolveMetric, supportedMetricNames, METRICS, type MetricInfo, type MetricSource } from './metrics.js';
export { AutoscalerError, InvalidScalingPolicyError } from './errors.js';
export { startAutoscaler, readAutoscalerStatus, AUTOSCALER_DECISION, decodeSample, type AutoscalerOptions, type RunningAutoscaler, type AutoscalerStatus, type AutoscalerDecisionData } from './runner/index.js';
