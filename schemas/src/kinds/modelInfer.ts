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
        template: { $ref: '#/definitions/InferGroupTemplate' },
      },
    },
    RolloutStrategy: {
      title: 'RolloutStrategy',
      type: 'object',
      additionalProperties: false,
      properties: {
        type: { type: 'string', enum: ['InferGroupRollingUpdate', 'RoleRollingUpdate'], default: 'InferGroupRollingUpdate' },
        maxUnavailable: { $ref: '#/definitions/IntOrPercent' },
        maxSurge: { $ref: '#/definitions/IntOrPercent' },
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
    PodTemplate: {
      title: 'PodTemplate',
      type: 'object',
      required: ['spec'],
      additionalProperties: false,
      properties: {
        metadata: {
          type: 'object',
          additionalProperties: false,
          properties: {
            labels: { $ref: '#/definitions/StringMap' },
            annotations: { $ref: '#/definitions/StringMap' },
          },
        },
        spec: { $ref: '#/definitions/PodSpec' },
      },
    },
    PodSpec: {
      title: 'PodSpec',
      type: 'object',
      required: ['containers'],
      // The subset we read is typed; other Kubernetes PodSpec fields (volumes, tolerations, ...)
      // pass through to the Kubernetes actuator untouched.
      additionalProperties: true,
      'x-kubernetes-preserve-unknown-fields': true,
      properties: {
        containers: {
          type: 'array',
          minItems: 1,
          items: { $ref: '#/definitions/Container' },
          'x-kubernetes-list-type': 'map',
          'x-kubernetes-list-map-keys': ['name'],
        },
        nodeSelector: { $ref: '#/definitions/StringMap' },
      },
    },
    Container: {
      title: 'Container',
      type: 'object',
      required: ['name', 'image'],
      additionalProperties: true,
      'x-kubernetes-preserve-unknown-fields': true,
      properties: {
        name: { $ref: '#/definitions/Name' },
        image: { type: 'string', minLength: 1 },
        command: { type: 'array', items: { type: 'string' } },
        args: { type: 'array', items: { type: 'string' } },
        env: { type: 'array', items: { $ref: '#/definitions/EnvVar' } },
        ports: { type: 'array', items: { $ref: '#/definitions/ContainerPort' } },
        resources: { $ref: '#/definitions/ResourceRequirements' },
      },
    },
    ContainerPort: {
      title: 'ContainerPort',
      type: 'object',
      required: ['containerPort'],
      additionalProperties: false,
      properties: {
        name: { type: 'string', maxLength: 15 },
        containerPort: { type: 'integer', minimum: 1, maximum: 65535 },
        protocol: { type: 'string', enum: ['TCP', 'UDP', 'SCTP'], default: 'TCP' },
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
