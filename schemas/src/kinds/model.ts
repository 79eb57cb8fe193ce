// Model (registry.matrixinfer.ai/v1alpha1): what users declare; the model controller expands
// it into ModelInfer + ModelServer + ModelRoute per backend.
import { resourceSchema } from './resource.js';
import type { KindSchema } from './types.js';

const nameList = { 'x-kubernetes-list-type': 'map', 'x-kubernetes-list-map-keys': ['name'] };
/** The same rule as rules/model.ts, for the API server. */
const ONE_POLICY = {
  rule: '!(has(self.autoscalingPolicy) && has(self.autoscalingPolicyRef))',
  message: 'set autoscalingPolicy (inline) or autoscalingPolicyRef (a name), not both',
};

export const modelKind: KindSchema = {
  kind: 'Model',
  schema: resourceSchema('Model', 'registry.matrixinfer.ai/v1alpha1', 'A model to serve, with one or more engine backends.'),
  definitions: {
    ModelSpec: {
      title: 'ModelSpec',
      type: 'object',
      required: ['backends'],
      additionalProperties: false,
      'x-kubernetes-validations': [ONE_POLICY],
      properties: {
        name: { $ref: '#/definitions/ModelName', description: 'Model name clients send in requests; defaults to metadata.name.' },
        owner: { type: 'string', description: 'Team or person owning the model.' },
        backends: { type: 'array', minItems: 1, items: { $ref: '#/definitions/ModelBackend' }, ...nameList },
        modelMatch: { $ref: '#/definitions/ModelMatch', description: 'Extra request matching of the derived ModelRoute (headers, uri, body model).' },
        autoscalingPolicy: {
          $ref: '#/definitions/AutoscalingPolicySpec',
          description: 'Inline policy that scales all backends together (heterogeneous optimizer), as MatrixInfer writes it.',
        },
        autoscalingPolicyRef: {
          $ref: '#/definitions/Name',
          description: 'Name of an AutoscalingPolicy in the namespace used like autoscalingPolicy (set one of the two).',
        },
        costExpansionRatePercent: { type: 'integer', minimum: 100, maximum: 1000, default: 200, description: 'Chunk growth rate of the cost optimizer across backends.' },
      },
    },
    ModelBackend: {
      title: 'ModelBackend',
      type: 'object',
      required: ['name', 'type', 'modelURI', 'maxReplicas'],
      additionalProperties: false,
      'x-kubernetes-validations': [
        { rule: '!has(self.minReplicas) || self.minReplicas <= self.maxReplicas', message: 'minReplicas must not be greater than maxReplicas' },
        ONE_POLICY,
      ],
      properties: {
        name: { $ref: '#/definitions/Name' },
        type: { type: 'string', enum: ['vLLM', 'vLLMDisaggregated', 'SGLang', 'Triton', 'TorchServe'], description: 'Engine family. Triton and TorchServe run "server" workers only; modelURI is the model repository (Triton) or model store (TorchServe).' },
        modelURI: {
          type: 'string',
          pattern: '^(hf|s3|pvc|hostpath|file)://.+$',
          'x-message': 'must be a model URI starting with hf://, s3://, pvc://, hostpath:// or file://',
        },
        cacheURI: {
          type: 'string',
          pattern: '^(hostpath|pvc|file)://.+$',
          'x-message': 'must be a cache URI starting with hostpath://, pvc:// or file://',
        },
        env: { type: 'array', items: { $ref: '#/definitions/EnvVar' } },
        envFrom: { type: 'array', items: { $ref: '#/definitions/EnvFromSource' }, description: 'ConfigMaps and Secrets whose keys become environment variables.' },
        minReplicas: { type: 'integer', minimum: 0, default: 1 },
        maxReplicas: { type: 'integer', minimum: 1 },
        scalingCost: { type: 'integer', minimum: 0, default: 0, description: 'Relative cost of one replica, used by the cost optimizer.' },
        routeWeight: { type: 'integer', minimum: 0, maximum: 100, default: 100, description: 'Share of traffic this backend receives.' },
        scaleToZeroGracePeriod: { $ref: '#/definitions/Duration', default: '30s', description: 'Idle time before scaling to zero (at most 1800s).' },
        loraAdapters: { type: 'array', items: { $ref: '#/definitions/LoraAdapter' }, ...nameList },
        modelLifecycle: { $ref: '#/definitions/ModelLifecycle' },
        autoscalingPolicy: { $ref: '#/definitions/AutoscalingPolicySpec', description: 'Inline policy for this backend alone, as MatrixInfer writes it.' },
        autoscalingPolicyRef: { $ref: '#/definitions/Name', description: 'Name of an AutoscalingPolicy for this backend (set this or autoscalingPolicy).' },
        workers: {
          type: 'array',
          minItems: 1,
          items: { $ref: '#/definitions/ModelWorker' },
          default: [{ type: 'server' }],
          description: 'Engine processes of one replica; one server worker when omitted.',
        },
      },
    },
    ModelLifecycle: {
      title: 'ModelLifecycle',
      type: 'object',
      additionalProperties: false,
      description: 'Triton and TorchServe: models the endpoint controller keeps loaded (Triton model repository API) or registered (TorchServe management API) on every endpoint, besides the served model, and the TorchServe worker count.',
      properties: {
        models: { type: 'array', items: { $ref: '#/definitions/LifecycleModel' }, ...nameList, description: 'Additional models: Triton repository model names, or TorchServe archives.' },
        minWorkers: { type: 'integer', minimum: 0, description: 'TorchServe: min_worker of each managed model (1 when omitted).' },
        maxWorkers: { type: 'integer', minimum: 1, description: 'TorchServe: max_worker of each managed model (minWorkers when omitted).' },
      },
    },
    LifecycleModel: {
      title: 'LifecycleModel',
      type: 'object',
      required: ['name'],
      additionalProperties: false,
      properties: {
        name: { type: 'string', pattern: '^[A-Za-z0-9][A-Za-z0-9_.-]*$', maxLength: 253, 'x-message': 'must be a model name of letters, digits, "_", "." and "-"' },
        archive: { type: 'string', minLength: 1, description: 'TorchServe: the .mar in the model store or an http(s) URL (<name>.mar when omitted).' },
      },
    },
    LoraAdapter: {
      title: 'LoraAdapter',
      type: 'object',
      required: ['name', 'artifactURL'],
      additionalProperties: false,
      properties: {
        name: { $ref: '#/definitions/AdapterName' },
        artifactURL: {
          type: 'string',
          pattern: '^(hf|s3|pvc|file)://.+$',
          'x-message': 'must be an artifact URL starting with hf://, s3://, pvc:// or file://',
        },
      },
    },
    ModelWorker: {
      title: 'ModelWorker',
      type: 'object',
      additionalProperties: false,
      properties: {
        // Optional as in MatrixInfer; validation writes the default, so a valid Model always has it.
        type: { type: 'string', enum: ['server', 'prefill', 'decode'], default: 'server' },
        image: { type: 'string', minLength: 1 },
        // MatrixInfer accepts 0 (its examples write it) and reads it as 1.
        replicas: { type: 'integer', minimum: 0, default: 1, description: 'Instances of this worker in one replica (0 counts as 1).' },
        pods: { type: 'integer', minimum: 0, default: 1, description: 'Pods per instance, for multi-node engines (0 counts as 1).' },
        resources: { $ref: '#/definitions/ResourceRequirements' },
        affinity: { $ref: '#/definitions/Affinity' },
        // Untyped as in MatrixInfer (any JSON is stored); rules/model.ts asks for an object of flags.
        config: {
          tsType: 'unknown',
          description: 'Engine arguments as a map (e.g. {"max-model-len": 8192}); each key becomes a flag.',
          'x-kubernetes-preserve-unknown-fields': true,
        },
      },
    },
    ModelStatus: {
      title: 'ModelStatus',
      type: 'object',
      additionalProperties: false,
      properties: {
        observedGeneration: { type: 'integer', minimum: 0 },
        backendStatuses: { type: 'array', items: { $ref: '#/definitions/ModelBackendStatus' }, ...nameList },
        conditions: { $ref: '#/definitions/Conditions' },
      },
    },
    ModelBackendStatus: {
      title: 'ModelBackendStatus',
      type: 'object',
      required: ['name'],
      additionalProperties: false,
      properties: {
        name: { type: 'string' },
        replicas: { type: 'integer', minimum: 0 },
        readyReplicas: { type: 'integer', minimum: 0 },
      },
    },
  },
};
