// ModelRoute (networking.matrixinfer.ai/v1alpha1): how requests for a model name (or LoRA
// adapter) are matched and split across ModelServers, and their token rate limits.
import { resourceSchema } from './resource.js';
import type { KindSchema } from './types.js';

export const modelRouteKind: KindSchema = {
  kind: 'ModelRoute',
  schema: resourceSchema('ModelRoute', 'networking.matrixinfer.ai/v1alpha1', 'Routing rules for a model name or LoRA adapters.'),
  definitions: {
    ModelRouteSpec: {
      title: 'ModelRouteSpec',
      type: 'object',
      required: ['rules'],
      additionalProperties: false,
      properties: {
        modelName: { $ref: '#/definitions/ModelName', description: 'Model name clients request.' },
        loraAdapters: {
          type: 'array',
          maxItems: 10,
          items: { $ref: '#/definitions/AdapterName' },
          'x-kubernetes-list-type': 'set',
        },
        rules: {
          type: 'array',
          minItems: 1,
          maxItems: 16,
          items: { $ref: '#/definitions/RouteRule' },
          'x-kubernetes-list-type': 'map',
          'x-kubernetes-list-map-keys': ['name'],
        },
        rateLimit: { $ref: '#/definitions/RateLimit' },
      },
    },
    RouteRule: {
      title: 'RouteRule',
      type: 'object',
      required: ['name', 'targetModels'],
      additionalProperties: false,
      'x-kubernetes-validations': [
        {
          rule: 'self.targetModels.all(t, has(t.weight)) || self.targetModels.all(t, !has(t.weight))',
          message: 'set weights on all targetModels of a rule or on none',
        },
      ],
      properties: {
        name: { $ref: '#/definitions/Name' },
        modelMatch: { $ref: '#/definitions/ModelMatch' },
        targetModels: { type: 'array', minItems: 1, maxItems: 16, items: { $ref: '#/definitions/TargetModel' } },
      },
    },
    ModelMatch: {
      title: 'ModelMatch',
      type: 'object',
      additionalProperties: false,
      properties: {
        headers: {
          type: 'object',
          additionalProperties: { $ref: '#/definitions/StringMatch' },
          description: 'Header name to match; all must match.',
        },
        uri: { $ref: '#/definitions/StringMatch' },
        body: {
          type: 'object',
          additionalProperties: false,
          properties: { model: { type: 'string', minLength: 1 } },
        },
      },
    },
    StringMatch: {
      title: 'StringMatch',
      description: 'Exactly one of exact, prefix, regex.',
      type: 'object',
      minProperties: 1,
      maxProperties: 1,
      'x-message': 'must set exactly one of exact, prefix or regex',
      additionalProperties: false,
      properties: {
        exact: { type: 'string' },
        prefix: { type: 'string' },
        regex: { type: 'string' },
      },
    },
    TargetModel: {
      title: 'TargetModel',
      type: 'object',
      required: ['modelServerName'],
      additionalProperties: false,
      properties: {
        modelServerName: { $ref: '#/definitions/Name' },
        weight: { type: 'integer', minimum: 0, maximum: 100 },
      },
    },
    RateLimit: {
      title: 'RateLimit',
      type: 'object',
      additionalProperties: false,
      properties: {
        inputTokensPerUnit: { type: 'integer', minimum: 1 },
        outputTokensPerUnit: { type: 'integer', minimum: 1 },
        unit: { type: 'string', enum: ['second', 'minute', 'hour', 'day', 'month'], default: 'second' },
        global: { $ref: '#/definitions/GlobalRateLimit' },
      },
    },
    GlobalRateLimit: {
      title: 'GlobalRateLimit',
      type: 'object',
      description: 'Present: the limit is shared by every gateway replica (over the platform NATS), not per replica.',
      additionalProperties: false,
      properties: {
        nats: {
          type: 'object',
          additionalProperties: false,
          description: 'Share consumption between gateway replicas over the platform NATS (the default way).',
          properties: {},
        },
        redis: {
          type: 'object',
          required: ['address'],
          additionalProperties: false,
          properties: { address: { type: 'string', minLength: 1, description: 'host:port of a shared Redis (Kthena compatibility: accepted, but MatrixInfer gateways share over NATS).' } },
        },
      },
    },
    ModelRouteStatus: {
      title: 'ModelRouteStatus',
      type: 'object',
      additionalProperties: false,
      properties: {
        observedGeneration: { type: 'integer', minimum: 0 },
        conditions: { $ref: '#/definitions/Conditions' },
      },
    },
  },
};
