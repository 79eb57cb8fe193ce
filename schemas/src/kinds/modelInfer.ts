// ModelInfer (workload.matrixinfer.ai/v1alpha1): a set of identical inference groups, each made
// of up to four roles (e.g. prefill and decode), each role an entry pod plus optional workers.
import { resourceSchema } from './resource.js';
import type { KindSchema } from './types.js';

export const modelInferKind: KindSchema = {
  kind: 'ModelInfer',
  schema: resourceSchema('ModelInfer', 'workload.matrixinfer.ai/v1alpha1', 'Replicated groups of engine pods (the workload of a model backend).'),
  definitions: {
    ModelInferSpec: {
      title: 'ModelInferSpec',
      type: 'object',
      required: ['template'],
      additionalProperties: false,
      properties: {
        replicas: { type: 'integer', minimum: 0, default: 1, description: 'Number of inference groups.' },
        schedulerName: { type: 'string', minLength: 1 },
        recoveryPolicy: { type: 'string', enum: ['InferGroupRecreate', 'RoleRecreate', 'None'], default: 'RoleRecreate' },
        rolloutStrategy: { $ref: '#/definitions/RolloutStrategy' },
        topologySpreadConstraints: {
          type: 'array',
          items: { $ref: '#/definitions/TopologySpreadConstraint' },
          description: 'How the inference groups spread over zones or nodes (as in a PodSpec).',
        },
        template: { $ref: '#/definitions/InferGroupTemplate' },
      },
    },
    RolloutStrategy: {
      title: 'RolloutStrategy',
      type: 'object',
      additionalProperties: false,
      properties: {
        type: { type: 'string', enum: ['InferGroupRollingUpdate', 'RoleRollingUpdate'], default: 'InferGroupRollingUpdate' },
        rollingUpdateConfiguration: { $ref: '#/definitions/RollingUpdateConfiguration' },
        // Our first spelling, before we followed MatrixInfer's nesting; still read, not both.
        maxUnavailable: { $ref: '#/definitions/IntOrPercent', description: 'Deprecated: use rollingUpdateConfiguration.maxUnavailable.' },
        maxSurge: { $ref: '#/definitions/IntOrPercent', description: 'Deprecated: use rollingUpdateConfiguration.maxSurge.' },
        partition: { type: 'integer', minimum: 0, description: 'Deprecated: use rollingUpdateConfiguration.partition.' },
      },
    },
    RollingUpdateConfiguration: {
      title: 'RollingUpdateConfiguration',
      type: 'object',
      additionalProperties: false,
      properties: {
        maxUnavailable: { $ref: '#/definitions/IntOrPercent', description: 'Groups that may be unavailable during the update (default 1).' },
        maxSurge: { $ref: '#/definitions/IntOrPercent', description: 'Groups created above replicas during the update (default 0).' },
        partition: { type: 'integer', minimum: 0, description: 'Groups with an index below this keep the old revision.' },
      },
    },
    InferGroupTemplate: {
      title: 'InferGroupTemplate',
      type: 'object',
      required: ['roles'],
      additionalProperties: false,
      properties: {
        restartGracePeriodSeconds: { type: 'integer', minimum: 0, default: 30, description: 'Wait after a pod fails before recovery acts.' },
        gangSchedule: { $ref: '#/definitions/GangSchedule' },
        roles: {
          type: 'array',
          minItems: 1,
          maxItems: 4,
          items: { $ref: '#/definitions/Role' },
          'x-kubernetes-list-type': 'map',
          'x-kubernetes-list-map-keys': ['name'],
        },
      },
    },
    GangSchedule: {
      title: 'GangSchedule',
      type: 'object',
      additionalProperties: false,
      properties: {
        minRoleReplicas: {
          type: 'object',
          additionalProperties: { type: 'integer', minimum: 0 },
          description: 'Role name to the replicas that must be schedulable together.',
        },
        networkTopology: {
          title: 'NetworkTopology',
          type: 'object',
          additionalProperties: false,
          description: 'Network-topology-aware gang placement (Volcano HyperNode tiers); passed to the scheduler.',
          properties: {
            mode: { type: 'string', enum: ['hard', 'soft'], default: 'hard', description: 'hard: never above highestTierAllowed; soft: best effort.' },
            highestTierAllowed: { type: 'integer', minimum: 0, default: 1, description: 'Highest network tier a gang may span.' },
          },
        },
      },
    },
    Role: {
      title: 'Role',
      type: 'object',
      required: ['name', 'entryTemplate'],
      additionalProperties: false,
      properties: {
        name: { $ref: '#/definitions/Name' },
        replicas: { type: 'integer', minimum: 0, default: 1, description: 'Instances of this role per group.' },
        entryTemplate: { $ref: '#/definitions/PodTemplate' },
        workerReplicas: { type: 'integer', minimum: 0, default: 0, description: 'Worker pods per role instance.' },
        workerTemplate: { $ref: '#/definitions/PodTemplate' },
      },
    },
    ModelInferStatus: {
      title: 'ModelInferStatus',
      type: 'object',
      additionalProperties: false,
      properties: {
        observedGeneration: { type: 'integer', minimum: 0 },
        replicas: { type: 'integer', minimum: 0, description: 'Groups that exist.' },
        currentReplicas: { type: 'integer', minimum: 0, description: 'Groups at the current revision.' },
        updatedReplicas: { type: 'integer', minimum: 0, description: 'Groups at the update revision.' },
        availableReplicas: { type: 'integer', minimum: 0, description: 'Groups whose every pod is ready.' },
        currentRevision: { type: 'string' },
        updateRevision: { type: 'string' },
        labelSelector: { type: 'string', description: 'Selector of the pods, for the scale subresource.' },
        conditions: { $ref: '#/definitions/Conditions' },
      },
    },
  },
};
