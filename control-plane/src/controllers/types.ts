// The fields of the resource kinds the controllers and the projector read or write. Minimal
// structural views: the generated types of @matrixinfer/schemas are assignable to them, and
// unknown fields pass through untouched.

/** Kubernetes-style object metadata (the subset we read). */
export interface ObjectMeta {
  name: string;
  namespace?: string;
  uid?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  /** Subject sequence in MI_DESIRED, as a string (Kubernetes convention) or number. */
  resourceVersion?: string | number;
  generation?: number;
  ownerReferences?: OwnerReference[];
}

export interface OwnerReference {
  apiVersion: string;
  kind: string;
  name: string;
  uid?: string;
  controller?: boolean;
  blockOwnerDeletion?: boolean;
}

/** Any resource as stored in MI_DESIRED. */
export interface AnyResource {
  apiVersion: string;
  kind: string;
  metadata: ObjectMeta;
  spec?: unknown;
  status?: unknown;
}

export interface Condition {
  type: string;
  status: 'True' | 'False' | 'Unknown';
  reason?: string;
  message?: string;
  lastTransitionTime?: string;
}

// ---- registry.matrixinfer.ai/v1alpha1 Model ----

export type BackendType = 'vLLM' | 'vLLMDisaggregated' | 'SGLang';
export type WorkerType = 'server' | 'prefill' | 'decode';

export interface EnvVar {
  name: string;
  value?: string;
}

export interface ModelWorker {
  type: WorkerType;
  image?: string;
  /** Program to run instead of the image entrypoint (local actuator: any command). */
  command?: string[];
  /** Role replicas inside one infer group (default 1). */
  replicas?: number;
  /** Pods per role replica: 1 entry + (pods - 1) workers (default 1). */
  pods?: number;
  resources?: unknown;
  /** Engine arguments as JSON: `{"max-model-len": 4096}` becomes `--max-model-len 4096`. */
  config?: Record<string, unknown>;
}

export interface LoraAdapter {
  name: string;
  artifactURL?: string;
}

export interface ModelBackend {
  name: string;
  type: BackendType;
  modelURI?: string;
  cacheURI?: string;
  env?: EnvVar[];
  minReplicas?: number;
  maxReplicas?: number;
  scalingCost?: number;
  routeWeight?: number;
  scaleToZeroGracePeriod?: string;
  loraAdapters?: LoraAdapter[];
  autoscalingPolicy?: string;
  workers: ModelWorker[];
}

export interface ModelSpec {
  /** Served model name; defaults to metadata.name. */
  name?: string;
  owner?: string;
  backends: ModelBackend[];
  costExpansionRatePercent?: number;
}

export interface Model extends AnyResource {
  kind: 'Model';
  spec: ModelSpec;
}

// ---- workload.matrixinfer.ai/v1alpha1 ModelInfer ----

export interface Container {
  name: string;
  image?: string;
  command?: string[];
  args?: string[];
  env?: EnvVar[];
  ports?: { containerPort: number; name?: string }[];
  resources?: unknown;
}

export interface PodTemplate {
  metadata?: { labels?: Record<string, string>; annotations?: Record<string, string> };
  spec: { containers: Container[] };
}

export interface Role {
  name: string;
  replicas?: number;
  entryTemplate: PodTemplate;
  workerReplicas?: number;
  workerTemplate?: PodTemplate;
}

export type RecoveryPolicy = 'InferGroupRecreate' | 'RoleRecreate' | 'None';
export type IntOrPercent = number | string;

export interface RollingUpdateConfiguration {
  maxUnavailable?: IntOrPercent;
  maxSurge?: IntOrPercent;
  partition?: number;
}

export interface RolloutStrategy extends RollingUpdateConfiguration {
  type?: 'InferGroupRollingUpdate' | 'RoleRollingUpdate';
  /** Kthena nests the numbers here; the flat fields win when both are given. */
  rollingUpdateConfiguration?: RollingUpdateConfiguration;
}

export interface ModelInferSpec {
  replicas?: number;
  schedulerName?: string;
  recoveryPolicy?: RecoveryPolicy;
  rolloutStrategy?: RolloutStrategy;
  template: {
    restartGracePeriodSeconds?: number;
    gangSchedule?: { minRoleReplicas?: Record<string, number> };
    roles: Role[];
  };
}

export interface ModelInfer extends AnyResource {
  kind: 'ModelInfer';
  spec: ModelInferSpec;
}

export interface ModelInferStatus {
  observedGeneration: number;
  replicas: number;
  currentReplicas: number;
  updatedReplicas: number;
  availableReplicas: number;
  currentRevision: string;
  updateRevision: string;
  revisions: string[];
  labelSelector: string;
  conditions: Condition[];
}

// ---- networking.matrixinfer.ai/v1alpha1 ModelServer, ModelRoute ----

export interface ModelServerSpec {
  model?: string;
  inferenceEngine: 'vLLM' | 'SGLang';
  workloadSelector: {
    matchLabels?: Record<string, string>;
    pdGroup?: { groupKey: string; prefillLabels?: Record<string, string>; decodeLabels?: Record<string, string> };
  };
  workloadPort?: { port: number; protocol?: string };
  trafficPolicy?: { timeout?: string; retry?: { attempts?: number; retryInterval?: string } };
  kvConnector?: { type: 'http' | 'lmcache' | 'nixl' | 'mooncake' };
}

export interface ModelServer extends AnyResource {
  kind: 'ModelServer';
  spec: ModelServerSpec;
}

export interface HeaderMatchSpec {
  exact?: string;
  prefix?: string;
  regex?: string;
}

export interface ModelRouteRule {
  name: string;
  modelMatch?: { headers?: Record<string, HeaderMatchSpec>; uri?: HeaderMatchSpec; body?: { model?: string } };
  targetModels: { modelServerName: string; weight?: number }[];
}

export interface ModelRouteSpec {
  modelName: string;
  loraAdapters?: string[];
  rules: ModelRouteRule[];
  rateLimit?: {
    inputTokensPerUnit?: number;
    outputTokensPerUnit?: number;
    unit: 'second' | 'minute' | 'hour' | 'day' | 'month';
    global?: unknown;
  };
}

export interface ModelRoute extends AnyResource {
  kind: 'ModelRoute';
  spec: ModelRouteSpec;
}

// ---- registry.matrixinfer.ai/v1alpha1 AutoscalingPolicyBinding ----

export interface AutoscalingPolicyBinding extends AnyResource {
  kind: 'AutoscalingPolicyBinding';
  spec: {
    policyRef: { name: string };
    scalingConfiguration?: {
      target: { targetRef: { kind?: string; name: string }; additionalMatchLabels?: Record<string, string> };
      minReplicas: number;
      maxReplicas: number;
    };
  };
}

export const API_GROUPS = {
  registry: 'registry.matrixinfer.ai/v1alpha1',
  workload: 'workload.matrixinfer.ai/v1alpha1',
  networking: 'networking.matrixinfer.ai/v1alpha1',
} as const;

/** Namespace of a resource, `default` when unset. */
export function namespaceOf(r: { metadata: ObjectMeta }): string {
  return r.metadata.namespace ?? 'default';
}
