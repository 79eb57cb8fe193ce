// AutoscalingPolicy (registry.matrixinfer.ai/v1alpha1): metric targets and the stable/panic
// scaling behaviour; bound to a workload by an AutoscalingPolicyBinding.
import { resourceSchema } from './resource.js';
import type { KindSchema } from './types.js';

export const autoscalingPolicyKind: KindSchema = {
  kind: 'AutoscalingPolicy',
  schema: resourceSchema('AutoscalingPolicy', 'registry.matrixinfer.ai/v1alpha1', 'How to scale: metric targets, tolerance, stable and panic behaviour.'),
  definitions: {
    AutoscalingPolicySpec: {
      title: 'AutoscalingPolicySpec',
      type: 'object',
      required: ['metrics'],
      additionalProperties: false,
      properties: {
        metrics: { type: 'array', minItems: 1, items: { $ref: '#/definitions/AutoscalingMetric' } },
        tolerancePercent: { type: 'integer', minimum: 0, maximum: 100, default: 10 },
        behavior: { $ref: '#/definitions/AutoscalingBehavior' },
      },
    },
    AutoscalingMetric: {
      title: 'AutoscalingMetric',
      type: 'object',
      required: ['metricName', 'targetValue'],
      additionalProperties: false,
      properties: {
        metricName: { type: 'string', minLength: 1, description: 'Engine metric, e.g. vllm:num_requests_waiting; with query, only the label of the query\'s result.' },
        // External metric: a PromQL expression evaluated by the Prometheus the control plane is
        // pointed at (--prometheus-url). Its result is the target's total, like any other metric.
        query: {
          type: 'string',
          minLength: 1,
          description: 'PromQL instant query; its result (a scalar, or the sum of an instant vector) is the total over the target, so replicas = ceil(total / targetValue).',
        },
        // A Kubernetes quantity as MatrixInfer has it (10, "5", "500m"); must be above 0 (rules).
        targetValue: { $ref: '#/definitions/Quantity', description: 'Desired average per replica: a quantity such as 10, "5" or "500m".' },
      },
    },
    AutoscalingBehavior: {
      title: 'AutoscalingBehavior',
      type: 'object',
      additionalProperties: false,
      properties: {
        scaleUp: { $ref: '#/definitions/ScaleUpBehavior' },
        scaleDown: { $ref: '#/definitions/StablePolicy' },
      },
    },
    ScaleUpBehavior: {
      title: 'ScaleUpBehavior',
      type: 'object',
      additionalProperties: false,
      properties: {
        stablePolicy: { $ref: '#/definitions/StablePolicy' },
        panicPolicy: { $ref: '#/definitions/PanicPolicy' },
      },
    },
    StablePolicy: {
      title: 'StablePolicy',
      type: 'object',
      additionalProperties: false,
      properties: {
        instances: { type: 'integer', minimum: 0, description: 'At most this many replicas added/removed per period.' },
        percent: { type: 'integer', minimum: 0, maximum: 1000, description: 'At most this percentage added/removed per period.' },
        period: { $ref: '#/definitions/Duration', default: '15s' },
        selectPolicy: { type: 'string', enum: ['Or', 'And'], default: 'Or', description: 'Or: the larger of the two caps; And: the smaller.' },
        stabilizationWindow: { $ref: '#/definitions/Duration' },
      },
    },
    PanicPolicy: {
      title: 'PanicPolicy',
      type: 'object',
      additionalProperties: false,
      properties: {
        percent: { type: 'integer', minimum: 0, maximum: 100000, default: 1000, description: 'Growth cap per period while panicking.' },
        period: { $ref: '#/definitions/Duration', default: '15s' },
        panicThresholdPercent: { type: 'integer', minimum: 110, maximum: 1000, default: 200 },
        panicModeHold: { $ref: '#/definitions/Duration', default: '60s' },
      },
    },
    AutoscalingPolicyStatus: {
      title: 'AutoscalingPolicyStatus',
      type: 'object',
      additionalProperties: false,
      properties: {
        observedGeneration: { type: 'integer', minimum: 0 },
        conditions: { $ref: '#/definitions/Conditions' },
      },
    },
  },
};
