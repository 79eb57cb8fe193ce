// Public entry of the external-metrics poller: PromQL queries of AutoscalingPolicies, evaluated
// against Prometheus and published as samples for the autoscaler.
export { startExternalMetrics, parsePrometheusUrl, type ExternalMetrics, type ExternalMetricsOptions, type ExternalMetricsStats } from './runner.js';
export { interpretQueryResponse, type QueryOutcome } from './result.js';
export { pollTargets, type PollTarget, type PollQuery } from './targets.js';
export { EXTERNAL_ERROR_CODES, ExternalMetricsError, InvalidExternalOptionError } from './errors.js';
