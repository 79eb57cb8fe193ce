// Model -> children: per backend a ModelInfer, a ModelServer and (when the backend names a
// policy) an AutoscalingPolicyBinding; one ModelRoute for the model. Pure and deterministic:
// the same Model always gives byte-identical children.
import { INSTANCE_LABELS } from '@matrixinfer/events';
import {
  API_GROUPS,
  namespaceOf,
  type AnyResource,
  type AutoscalingPolicyBinding,
  type Container,
  type EnvVar,
  type Model,
  type ModelBackend,
  type ModelInfer,
  type ModelRoute,
  type ModelServer,
  type ModelWorker,
  type OwnerReference,
  type Role,
} from '../types.js';
import { InvalidResourceError } from '../errors.js';

/** Label every child carries: the name of the Model that owns it. */
export const MODEL_LABEL = 'registry.matrixinfer.ai/model';
/** Label on per-backend children: the backend name. */
export const BACKEND_LABEL = 'registry.matrixinfer.ai/backend';
/** ModelInfer annotation the infer controller reads to tag instances with their engine. */
export const ENGINE_ANNOTATION = 'modelinfer.matrixinfer.ai/engine';
/** Program name of the built-in engine simulator. */
export const SIMULATOR_COMMAND = 'mi-engine-sim';
/** Image of the engine simulator (Kubernetes; the local actuator runs the command). */
export const SIMULATOR_IMAGE = 'matrixinfer/mi-engine-sim:latest';
/** Port the engines listen on inside a pod (the local actuator substitutes its own). */
export const ENGINE_PORT = 8000;

/** The model name clients send: spec.name, else metadata.name. */
export function servedModelName(model: Model): string {
  return model.spec.name ?? model.metadata.name;
}

/** Deterministic child name of a backend's ModelInfer/ModelServer/binding. */
export function backendChildName(model: Model, backend: ModelBackend): string {
  return `${model.metadata.name}-${backend.name}`;
}

/** Engine args JSON -> `--flag value` list, keys sorted; `true` is a bare flag, false/null dropped. */
export function configToArgs(config: Record<string, unknown> | undefined): string[] {
  if (!config) return [];
  const out: string[] = [];
  for (const key of Object.keys(config).sort()) {
    const v = config[key];
    const flag = key.startsWith('-') ? key : `--${key}`;
    if (v === false || v === null || v === undefined) continue;
    if (v === true) out.push(flag);
    else if (Array.isArray(v)) out.push(flag, ...v.map(String));
    else if (typeof v === 'object') out.push(flag, JSON.stringify(v));
    else out.push(flag, String(v));
  }
  return out;
}

function ownerRef(model: Model): OwnerReference {
  // The store gives every Model a uid; '' only for a Model that was never stored (tests).
  return { apiVersion: model.apiVersion, kind: 'Model', name: model.metadata.name, uid: model.metadata.uid ?? '', controller: true, blockOwnerDeletion: true };
}

function childMeta(model: Model, name: string, backend?: ModelBackend) {
  const labels: Record<string, string> = { [MODEL_LABEL]: model.metadata.name };
  if (backend) labels[BACKEND_LABEL] = backend.name;
  return { name, namespace: namespaceOf(model), labels, ownerReferences: [ownerRef(model)] };
}

function engineOf(backend: ModelBackend): 'vLLM' | 'SGLang' {
  return backend.type === 'SGLang' ? 'SGLang' : 'vLLM';
}

function hasFlag(args: string[], flag: string): boolean {
  return args.some((a) => a === flag || a.startsWith(`${flag}=`));
}

/** The container of one worker: the simulator when the worker names no image nor command. */
export function workerContainer(model: Model, backend: ModelBackend, worker: ModelWorker): Container {
  const args = configToArgs(worker.config);
  const env: EnvVar[] = [...(backend.env ?? [])];
  if (backend.modelURI) env.push({ name: 'MODEL_URI', value: backend.modelURI });
  if (backend.cacheURI) env.push({ name: 'CACHE_URI', value: backend.cacheURI });
  const simulated = !worker.image;
  const container: Container = { name: 'engine', image: worker.image ?? SIMULATOR_IMAGE, args, env };
  if (simulated) container.command = [SIMULATOR_COMMAND];
  // The simulator (and an engine image's entrypoint) learn the served name from --model.
  if (!hasFlag(args, '--model')) args.push('--model', servedModelName(model));
  // LoRA adapters are loaded at start: vLLM (and the simulator) take --lora-modules name=path,
  // SGLang --lora-paths name=path.
  const adapters = (backend.loraAdapters ?? []).map((a) => `${a.name}=${a.artifactURL}`);
  const loraFlag = !simulated && engineOf(backend) === 'SGLang' ? '--lora-paths' : '--lora-modules';
  if (adapters.length > 0 && !hasFlag(args, '--lora-modules') && !hasFlag(args, '--lora-paths')) {
    if (loraFlag === '--lora-modules' && !hasFlag(args, '--enable-lora')) args.push('--enable-lora');
    args.push(loraFlag, ...adapters);
  }
  if (worker.resources) container.resources = worker.resources;
  if (simulated) {
    if (!hasFlag(args, '--engine')) args.push('--engine', engineOf(backend) === 'SGLang' ? 'sglang' : 'vllm');
    if (worker.type !== 'server' && !hasFlag(args, '--role')) args.push('--role', worker.type);
  }
  container.ports = [{ containerPort: ENGINE_PORT, name: 'http' }];
  return container;
}

function roleOf(model: Model, backend: ModelBackend, worker: ModelWorker): Role {
  const pods = worker.pods ?? 1;
  if (!Number.isInteger(pods) || pods < 1) throw new InvalidResourceError(`Model ${model.metadata.name} backend ${backend.name}: worker pods must be >= 1, got ${pods}`);
  const container = workerContainer(model, backend, worker);
  const role: Role = {
    name: worker.type,
    replicas: worker.replicas ?? 1,
    entryTemplate: { metadata: { labels: { [MODEL_LABEL]: model.metadata.name } }, spec: { containers: [container] } },
  };
  if (pods > 1) {
    role.workerReplicas = pods - 1;
    role.workerTemplate = { metadata: { labels: { [MODEL_LABEL]: model.metadata.name } }, spec: { containers: [{ ...container }] } };
  }
  return role;
}

/** Workers of a backend; one server worker when it names none (the schema default). */
export function workersOf(backend: ModelBackend): ModelWorker[] {
  return backend.workers && backend.workers.length > 0 ? backend.workers : [{ type: 'server' }];
}

function rolesOf(model: Model, backend: ModelBackend): Role[] {
  const workers = workersOf(backend);
  const servers = workers.filter((w) => w.type === 'server');
  const prefill = workers.filter((w) => w.type === 'prefill');
  const decode = workers.filter((w) => w.type === 'decode');
  if (servers.length === 1 && prefill.length === 0 && decode.length === 0) return [roleOf(model, backend, servers[0])];
  if (servers.length === 0 && prefill.length === 1 && decode.length === 1) {
    return [roleOf(model, backend, prefill[0]), roleOf(model, backend, decode[0])];
  }
  throw new InvalidResourceError(
    `Model ${model.metadata.name} backend ${backend.name}: workers must be one 'server', or one 'prefill' and one 'decode' (got ${workers.map((w) => w.type).join(', ')})`,
  );
}

function isDisaggregated(backend: ModelBackend): boolean {
  return backend.type === 'vLLMDisaggregated' || workersOf(backend).some((w) => w.type === 'prefill');
}

/**
 * The backend's ModelInfer. `currentReplicas` is the replica count of the existing child: when
 * an autoscaler owns the count (the backend names a policy), the controller keeps it within
 * [minReplicas, maxReplicas] instead of resetting it to minReplicas on every reconcile.
 */
export function modelInferOf(model: Model, backend: ModelBackend, currentReplicas?: number): ModelInfer {
  const min = backend.minReplicas ?? 1;
  const max = backend.maxReplicas ?? Math.max(min, 1);
  let replicas = min;
  if (isAutoscaled(model, backend) && currentReplicas !== undefined) replicas = Math.min(Math.max(currentReplicas, min), max);
  const meta = childMeta(model, backendChildName(model, backend), backend);
  return {
    apiVersion: API_GROUPS.workload,
    kind: 'ModelInfer',
    metadata: { ...meta, annotations: { [ENGINE_ANNOTATION]: engineOf(backend) } },
    spec: {
      replicas,
      recoveryPolicy: 'RoleRecreate',
      rolloutStrategy: { type: 'InferGroupRollingUpdate', maxUnavailable: 1, maxSurge: 0 },
      template: { restartGracePeriodSeconds: 0, roles: rolesOf(model, backend) },
    },
  };
}

/** The backend's ModelServer: selects the ModelInfer's entry instances. */
export function modelServerOf(model: Model, backend: ModelBackend): ModelServer {
  const infer = backendChildName(model, backend);
  const server: ModelServer = {
    apiVersion: API_GROUPS.networking,
    kind: 'ModelServer',
    metadata: childMeta(model, infer, backend),
    spec: {
      model: servedModelName(model),
      inferenceEngine: engineOf(backend),
      workloadSelector: { matchLabels: { [INSTANCE_LABELS.modelInfer]: infer } },
      workloadPort: { port: ENGINE_PORT, protocol: 'http' },
    },
  };
  if (isDisaggregated(backend)) {
    server.spec.workloadSelector.pdGroup = {
      groupKey: INSTANCE_LABELS.group,
      prefillLabels: { [INSTANCE_LABELS.role]: 'prefill' },
      decodeLabels: { [INSTANCE_LABELS.role]: 'decode' },
    };
    server.spec.kvConnector = { type: kvConnectorOf(backend) };
  }
  return server;
}

/**
 * The KV connector the gateway must speak to a disaggregated backend, from the engines' own
 * `kv-transfer-config` (vLLM's `{"kv_connector": "NixlConnector", ...}`); `http` when none says.
 */
export function kvConnectorOf(backend: ModelBackend): 'http' | 'lmcache' | 'nixl' | 'mooncake' {
  for (const w of workersOf(backend)) {
    const raw = w.config?.['kv-transfer-config'];
    let cfg: unknown = raw;
    if (typeof raw === 'string') {
      try {
        cfg = JSON.parse(raw);
      } catch {
        continue; // the engine itself will refuse it; nothing to learn here
      }
    }
    const name = (cfg as { kv_connector?: unknown } | null)?.kv_connector;
    if (typeof name !== 'string') continue;
    const n = name.toLowerCase();
    if (n.includes('nixl')) return 'nixl';
    if (n.includes('lmcache')) return 'lmcache';
    if (n.includes('mooncake')) return 'mooncake';
  }
  return 'http';
}

/** The model's ModelRoute: one rule, every backend's server weighted by routeWeight. */
export function modelRouteOf(model: Model): ModelRoute {
  const adapters = new Set<string>();
  for (const b of model.spec.backends) for (const a of b.loraAdapters ?? []) adapters.add(a.name);
  const route: ModelRoute = {
    apiVersion: API_GROUPS.networking,
    kind: 'ModelRoute',
    metadata: childMeta(model, model.metadata.name),
    spec: {
      modelName: servedModelName(model),
      rules: [
        {
          name: 'default',
          targetModels: model.spec.backends.map((b) => ({ modelServerName: backendChildName(model, b), weight: b.routeWeight ?? 100 })),
        },
      ],
    },
  };
  if (adapters.size > 0) route.spec.loraAdapters = [...adapters].sort();
  return route;
}

/** The binding of a backend that names an autoscalingPolicy, targeting its ModelInfer. */
export function bindingOf(model: Model, backend: ModelBackend): AutoscalingPolicyBinding | null {
  if (!backend.autoscalingPolicy) return null;
  const min = backend.minReplicas ?? 1;
  return {
    apiVersion: API_GROUPS.registry,
    kind: 'AutoscalingPolicyBinding',
    metadata: childMeta(model, backendChildName(model, backend), backend),
    spec: {
      policyRef: { name: backend.autoscalingPolicy },
      scalingConfiguration: {
        target: { targetRef: { kind: 'ModelInfer' as const, name: backendChildName(model, backend) } },
        minReplicas: min,
        maxReplicas: backend.maxReplicas,
      },
    },
  };
}

/**
 * The Model-wide binding when spec.autoscalingPolicy is set: the cost optimizer splits replicas
 * over every backend that does not name its own policy.
 */
export function modelBindingOf(model: Model): AutoscalingPolicyBinding | null {
  const policy = model.spec.autoscalingPolicy;
  const backends = model.spec.backends.filter((b) => !b.autoscalingPolicy);
  if (!policy || backends.length === 0) return null;
  const binding: AutoscalingPolicyBinding = {
    apiVersion: API_GROUPS.registry,
    kind: 'AutoscalingPolicyBinding',
    metadata: childMeta(model, model.metadata.name),
    spec: {
      policyRef: { name: policy },
      optimizerConfiguration: {
        params: backends.map((b) => ({
          target: { targetRef: { kind: 'ModelInfer' as const, name: backendChildName(model, b) } },
          cost: b.scalingCost ?? 0,
          minReplicas: b.minReplicas ?? 1,
          maxReplicas: b.maxReplicas,
        })),
      },
    },
  };
  if (model.spec.costExpansionRatePercent !== undefined) binding.spec.optimizerConfiguration!.costExpansionRatePercent = model.spec.costExpansionRatePercent;
  return binding;
}

/** True when an autoscaler owns the backend's replica count. */
export function isAutoscaled(model: Model, backend: ModelBackend): boolean {
  return Boolean(backend.autoscalingPolicy || model.spec.autoscalingPolicy);
}

/** Looks up the replica count of an existing child ModelInfer (for autoscaled backends). */
export type ReplicasOf = (modelInferName: string) => number | undefined;

/** Every child of a Model, in a fixed order (per backend: ModelInfer, ModelServer, binding; then the model binding and the route). */
export function expandModel(model: Model, replicasOf: ReplicasOf = () => undefined): AnyResource[] {
  const out: AnyResource[] = [];
  const seen = new Set<string>();
  for (const backend of model.spec.backends) {
    if (seen.has(backend.name)) throw new InvalidResourceError(`Model ${model.metadata.name}: backend name ${backend.name} is used twice`);
    seen.add(backend.name);
    out.push(modelInferOf(model, backend, replicasOf(backendChildName(model, backend))));
    out.push(modelServerOf(model, backend));
    const binding = bindingOf(model, backend);
    if (binding) out.push(binding);
  }
  const shared = modelBindingOf(model);
  if (shared) out.push(shared);
  out.push(modelRouteOf(model));
  return out;
}
