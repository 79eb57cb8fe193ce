// AutoscalingPolicyBinding (registry.matrixinfer.ai/v1alpha1): applies a policy to one target
// (scalingConfiguration) or to several with a cost optimizer (optimizerConfiguration).
import { resourceSchema } from './resource.js';
import type { KindSchema } from './types.js';

export const autoscalingPolicyBindingKind: KindSchema = {
  kind: 'AutoscalingPolicyBinding',
  schema: resourceSchema('AutoscalingPolicyBinding', 'registry.matrixinfer.ai/v1alpha1', 'Binds an AutoscalingPolicy to the workloads it scales.'),
  definitions: {
    AutoscalingPolicyBindingSpec: {
      title: 'AutoscalingPolicyBindingSpec',
      description: 'Exactly one of scalingConfiguration and optimizerConfiguration.',
      type: 'object',
      required: ['policyRef'],
      additionalProperties: false,
      properties: {
        policyRef: { $ref: '#/definitions/LocalObjectReference' },
        scalingConfiguration: { $ref: '#/definitions/ScalingConfiguration' },
        optimizerConfiguration: { $ref: '#/definitions/OptimizerConfiguration' },
        budget: { $ref: '#/definitions/ScalingBudget' },
      },
      'x-kubernetes-validations': [
        {
          rule: 'has(self.scalingConfiguration) != has(self.optimizerConfiguration)',
          message: 'set exactly one of scalingConfiguration and optimizerConfiguration',
        },
      ],
    },
    ScalingBudget: {
      title: 'ScalingBudget',
      type: 'object',
      description: 'A cost ceiling: the replicas the binding runs never cost more than this per hour.',
      required: ['maxCostPerHour'],
      additionalProperties: false,
      properties: {
        maxCostPerHour: {
          type: 'number',
          minimum: 0,
          description: "Ceiling in the unit of the cost fields, read as cost per replica per hour (optimizerConfiguration.params[].cost, or the target Model backend's scalingCost).",
        },
      },
    },
    LocalObjectReference: {
      title: 'LocalObjectReference',
      type: 'object',
      required: ['name'],
      additionalProperties: false,
      properties: { name: { $ref: '#/definitions/Name' } },
    },
    ScalingTarget: {
      title: 'ScalingTarget',
      type: 'object',
      required: ['targetRef'],
      additionalProperties: false,
      properties: {
        targetRef: { $ref: '#/definitions/TargetRef' },
        additionalMatchLabels: { $ref: '#/definitions/StringMap' },
        metricEndpoint: {
          type: 'object',
          description: "Where the collector also scrapes the target's replicas for policy metrics (host: the replica's; port: the engine's when omitted).",
          additionalProperties: false,
          properties: {
            uri: { type: 'string', pattern: '^/', default: '/metrics', 'x-message': 'must be a path starting with "/"' },
            port: { type: 'integer', minimum: 1, maximum: 65535 },
            scheme: { type: 'string', enum: ['http', 'https'], default: 'http', description: 'http or https (https verifies the certificate against the system CAs and NODE_EXTRA_CA_CERTS).' },
          },
        },
      },
    },
    TargetRef: {
      title: 'TargetRef',
      type: 'object',
      description:
        'The scaled workload, as a Kubernetes object reference: a ModelInfer (the default), or in Kubernetes mode anything with a scale subresource (apps/v1 Deployment, StatefulSet, ...).',
      required: ['name'],
      additionalProperties: false,
      properties: {
        kind: { type: 'string', pattern: '^[A-Z][A-Za-z0-9]*$', default: 'ModelInfer', 'x-message': 'must be a Kubernetes kind such as ModelInfer or Deployment' },
        name: { $ref: '#/definitions/Name' },
        apiVersion: {
          type: 'string',
          pattern: '^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*/)?v[0-9]+((alpha|beta)[0-9]+)?$',
          'x-message': 'must be an API version such as apps/v1 or workload.matrixinfer.ai/v1alpha1',
          description: 'Required for kinds other than ModelInfer (workload.matrixinfer.ai/v1alpha1 when given for a ModelInfer).',
        },
        namespace: { $ref: '#/definitions/Name', description: "Must be the binding's own namespace when given." },
        uid: { type: 'string' },
        resourceVersion: { type: 'string' },
        fieldPath: { type: 'string' },
      },
    },
    ScalingConfiguration: {
      title: 'ScalingConfiguration',
      type: 'object',
      required: ['target', 'maxReplicas'],
      additionalProperties: false,
      'x-kubernetes-validations': [{ rule: '!has(self.minReplicas) || self.minReplicas <= self.maxReplicas', message: 'minReplicas must not be greater than maxReplicas' }],
      properties: {
        target: { $ref: '#/definitions/ScalingTarget' },
        minReplicas: { type: 'integer', minimum: 0, default: 1 },
        maxReplicas: { type: 'integer', minimum: 1 },
      },
    },
    OptimizerConfiguration: {
      title: 'OptimizerConfiguration',
      type: 'object',
      required: ['params'],
      additionalProperties: false,
      properties: {
        params: { type: 'array', minItems: 1, items: { $ref: '#/definitions/OptimizerParam' } },
        costExpansionRatePercent: { type: 'integer', minimum: 100, maximum: 1000, default: 200 },
      },
    },
    OptimizerParam: {
      title: 'OptimizerParam',
      type: 'object',
      required: ['target', 'maxReplicas'],
      additionalProperties: false,
      'x-kubernetes-validations': [{ rule: '!has(self.minReplicas) || self.minReplicas <= self.maxReplicas', message: 'minReplicas must not be greater than maxReplicas' }],
      properties: {
        target: { $ref: '#/definitions/ScalingTarget' },
        cost: { type: 'integer', minimum: 0, default: 0, description: 'Relative cost of one replica of this target (0 when omitted, as in MatrixInfer).' },
        minReplicas: { type: 'integer', minimum: 0, default: 0 },
        maxReplicas: { type: 'integer', minimum: 1 },
      },
    },
    AutoscalingPolicyBindingStatus: {
      title: 'AutoscalingPolicyBindingStatus',
      type: 'object',
      additionalProperties: false,
      properties: {
        observedGeneration: { type: 'integer', minimum: 0 },
        currentReplicas: { type: 'integer', minimum: 0 },
        desiredReplicas: { type: 'integer', minimum: 0 },
        panicMode: { type: 'boolean' },
        lastScaleTime: { type: 'string', format: 'date-time' },
        lastDecision: { type: 'string', description: 'Reason of the last scale decision, in words.' },
        conditions: { $ref: '#/definitions/Conditions' },
      },
    },
  },
};
