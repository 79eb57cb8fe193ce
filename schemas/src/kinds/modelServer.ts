// ModelServer (networking.matrixinfer.ai/v1alpha1): which pods serve a model, on which port,
// with which engine, traffic policy and (for prefill/decode) KV connector.
import { resourceSchema } from './resource.js';
import type { KindSchema } from './types.js';

export const modelServerKind: KindSchema = {
  kind: 'ModelServer',
  schema: resourceSchema('ModelServer', 'networking.matrixinfer.ai/v1alpha1', 'A set of engine endpoints that serve one model.'),
  definitions: {
    ModelServerSpec: {
      title: 'ModelServerSpec',
      type: 'object',
      // workloadPort is optional, as in MatrixInfer: endpoints carry the port they were observed on.
      required: ['inferenceEngine', 'workloadSelector'],
      additionalProperties: false,
      properties: {
        model: { type: 'string', minLength: 1, description: 'Model name sent to the engine (the request is rewritten to it unless it names a LoRA adapter).' },
        inferenceEngine: { type: 'string', enum: ['vLLM', 'SGLang', 'Triton', 'TorchServe'] },
        workloadSelector: { $ref: '#/definitions/WorkloadSelector' },
        workloadPort: { $ref: '#/definitions/WorkloadPort', description: 'Port of the engines; when omitted, the port each endpoint was observed on.' },
        trafficPolicy: { $ref: '#/definitions/TrafficPolicy' },
        kvConnector: { $ref: '#/definitions/KvConnector' },
        loraAdapters: {
          type: 'array',
          items: { $ref: '#/definitions/LoraAdapter' },
          'x-kubernetes-list-type': 'map',
          'x-kubernetes-list-map-keys': ['name'],
          description:
            'LoRA adapters every selected endpoint loads live (vLLM and SGLang load/unload APIs), in addition to those of the Model backend it came from; routed by every ModelRoute that targets this server.',
        },
      },
    },
    WorkloadSelector: {
      title: 'WorkloadSelector',
      type: 'object',
      required: ['matchLabels'],
      additionalProperties: false,
      properties: {
        matchLabels: { $ref: '#/definitions/StringMap' },
        pdGroup: { $ref: '#/definitions/PdGroup' },
      },
    },
    PdGroup: {
      title: 'PdGroup',
      type: 'object',
      required: ['groupKey', 'prefillLabels', 'decodeLabels'],
      additionalProperties: false,
      properties: {
        groupKey: { type: 'string', minLength: 1, description: 'Label whose value pairs prefill and decode pods of one group.' },
        prefillLabels: { $ref: '#/definitions/StringMap' },
        decodeLabels: { $ref: '#/definitions/StringMap' },
      },
    },
    WorkloadPort: {
      title: 'WorkloadPort',
      type: 'object',
      required: ['port'],
      additionalProperties: false,
      properties: {
        port: { type: 'integer', minimum: 1, maximum: 65535 },
        protocol: { type: 'string', enum: ['http', 'https'], default: 'http' },
      },
    },
    TrafficPolicy: {
      title: 'TrafficPolicy',
      type: 'object',
      additionalProperties: false,
      properties: {
        timeout: { $ref: '#/definitions/Duration', description: 'Upstream timeout of one request, e.g. "30s".' },
        retry: { $ref: '#/definitions/RetryPolicy' },
        healthCheck: { $ref: '#/definitions/HealthCheck' },
        streamIdleTimeout: {
          $ref: '#/definitions/Duration',
          default: '30s',
          description: 'No byte from the engine for this long (the wait for the first byte included) ends the attempt: retried on another endpoint when nothing reached the client yet, else the stream ends with an SSE error event. "0s" turns it off.',
        },
        outlierDetection: { $ref: '#/definitions/OutlierDetection' },
      },
    },
    OutlierDetection: {
      title: 'OutlierDetection',
      type: 'object',
      additionalProperties: false,
      description: "Passive outlier ejection in each gateway, as Envoy's: an endpoint with too many failures in a row gets no traffic from that gateway for a growing interval.",
      properties: {
        consecutive5xx: { type: 'integer', minimum: 0, maximum: 1000, default: 5, description: '5xx answers or local failures (connection errors, stalls) in a row that eject an endpoint; 0 turns this rule off.' },
        consecutiveGatewayFailure: { type: 'integer', minimum: 0, maximum: 1000, default: 3, description: '502/503/504 answers or local failures in a row that eject an endpoint; 0 turns this rule off.' },
        baseEjectionTime: { $ref: '#/definitions/Duration', default: '10s', description: 'Ejection time is this times the number of times the endpoint was ejected.' },
        maxEjectionTime: { $ref: '#/definitions/Duration', default: '300s', description: 'Upper bound of one ejection.' },
        maxEjectionPercent: { type: 'integer', minimum: 0, maximum: 100, default: 50, description: 'No ejection once this share of the ModelServer\'s endpoints is ejected (one is always allowed, the last one never).' },
      },
    },
    HealthCheck: {
      title: 'HealthCheck',
      type: 'object',
      additionalProperties: false,
      description: 'Active health checks of every endpoint after it is ready (GET /health); an unhealthy endpoint leaves the routing table until it is healthy again.',
      properties: {
        interval: { $ref: '#/definitions/Duration', default: '1s', description: 'Time between the starts of two probes.' },
        timeout: { $ref: '#/definitions/Duration', default: '500ms', description: 'A probe not answered 200 within this failed.' },
        unhealthyThreshold: { type: 'integer', minimum: 1, maximum: 100, default: 2, description: 'Failed probes in a row that make an endpoint unhealthy.' },
        healthyThreshold: { type: 'integer', minimum: 1, maximum: 100, default: 2, description: 'Passed probes in a row that make it healthy again.' },
      },
    },
    RetryPolicy: {
      title: 'RetryPolicy',
      type: 'object',
      additionalProperties: false,
      properties: {
        attempts: { type: 'integer', minimum: 0, maximum: 10, default: 0, description: 'Retries after the first attempt.' },
        retryInterval: { $ref: '#/definitions/Duration', default: '100ms' },
      },
    },
    KvConnector: {
      title: 'KvConnector',
      type: 'object',
      additionalProperties: false,
      properties: {
        type: { type: 'string', enum: ['http', 'lmcache', 'nixl', 'mooncake'], default: 'http' },
      },
    },
    ModelServerStatus: {
      title: 'ModelServerStatus',
      type: 'object',
      additionalProperties: false,
      properties: {
        observedGeneration: { type: 'integer', minimum: 0 },
        endpoints: { type: 'integer', minimum: 0, description: 'Endpoints currently selected.' },
        readyEndpoints: { type: 'integer', minimum: 0 },
        conditions: { $ref: '#/definitions/Conditions' },
      },
    },
  },
};
