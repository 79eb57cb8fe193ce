// Model -> children: per backend a ModelInfer (full Pod templates of its engines), a ModelServer,
// and with a backend-level policy an AutoscalingPolicy (inline policies) and its binding; then
// the Model-level policy and binding, and one ModelRoute. Pure and deterministic: the same Model
// always gives byte-identical children. The controller stores exactly this; `mi render` prints it.
import { INSTANCE_LABELS } from '@matrixinfer/events';
import { contentHash } from '../hash.js';
import { InvalidResourceError } from '../errors.js';
import {
  API_GROUPS,
  namespaceOf,
  type AnyResource,
  type Model,
  type ModelBackend,
  type ModelInfer,
  type ModelRoute,
  type ModelServer,
  type ModelWorker,
  type OwnerReference,
  type Role,
} from '../types.js';
import { backendChildName, backendPolicyOf, bindingOf, isAutoscaled, modelBindingOf, modelPolicyOf, type MetaOf } from './autoscaling.js';
import { configToArgs, configValue, workerConfig } from './engine/flags.js';
import { vllmKvTransferConfig } from './engine/vllm.js';
import { childLabels, ENGINE_ANNOTATION, REVISION_LABEL } from './engine/labels.js';
import { enginePort, engineOf, engineServedName, servedModelName, workerPods, type WorkerPods } from './engine/pod-template.js';

export { backendChildName, bindingOf, isAutoscaled, modelBindingOf } from './autoscaling.js';
export { BACKEND_LABEL, ENGINE_ANNOTATION, MODEL_LABEL } from './engine/labels.js';
export { ENGINE_PORT, SIMULATOR_COMMAND, SIMULATOR_IMAGE, servedModelName } from './engine/pod-template.js';
export { configToArgs };

function ownerRef(model: Model): OwnerReference {
  // The store gives every Model a uid; '' only for a Model that was never stored (tests, mi render).
  return { apiVersion: model.apiVersion, kind: 'Model', name: model.metadata.name, uid: model.metadata.uid ?? '', controller: true, blockOwnerDeletion: true };
}

/** Metadata of the Model's children: owner reference and labels (the revision label is stamped by expandModel). */
function metaOfModel(model: Model): MetaOf {
  return (name, backend) => ({
    name,
    namespace: namespaceOf(model),
    labels: childLabels({ name: model.metadata.name, uid: model.metadata.uid }, backend?.name),
    ownerReferences: [ownerRef(model)],
  });
}

/**
 * The revision label of a child: the hash of what it asks for. A ModelInfer's is its template's
 * alone, so the replica count an autoscaler sets never makes the Model controller rewrite it.
 */
function stampRevision<T extends AnyResource>(child: T): T {
  const spec = child.kind === 'ModelInfer' ? (child as unknown as ModelInfer).spec.template : child.spec;
  child.metadata.labels = { ...child.metadata.labels, [REVISION_LABEL]: contentHash(spec, 10) };
  return child;
}

/** Workers of a backend; one server worker when it names none (the schema default). */
export function workersOf(backend: ModelBackend): ModelWorker[] {
  return backend.workers && backend.workers.length > 0 ? backend.workers : [{ type: 'server' }];
}

// MatrixInfer's controller is Go, where an unset count and 0 are one value (its examples write
// `pods: 0` for one pod): 0 means the default 1 here too.
function countOf(v: number | undefined, what: string, where: string): number {
  if (v === undefined || v === 0) return 1;
  if (!Number.isInteger(v) || v < 1) throw new InvalidResourceError(`${where}: worker ${what} must be >= 1, got ${v}`);
  return v;
}

function roleOf(model: Model, backend: ModelBackend, worker: ModelWorker): { role: Role; pods: WorkerPods } {
  const where = `Model ${model.metadata.name} backend ${backend.name}`;
  const pods = countOf(worker.pods, 'pods', where);
  const replicas = countOf(worker.replicas, 'replicas', where);
  const built = workerPods(model, backend, { ...worker, pods });
  const role: Role = { name: worker.type ?? 'server', replicas, entryTemplate: built.entry };
  if (pods > 1) {
    role.workerReplicas = pods - 1;
    role.workerTemplate = built.worker;
  }
  return { role, pods: built };
}

function rolesOf(model: Model, backend: ModelBackend): { role: Role; pods: WorkerPods }[] {
  const workers = workersOf(backend);
  const servers = workers.filter((w) => w.type === 'server');
  const prefill = workers.filter((w) => w.type === 'prefill');
  const decode = workers.filter((w) => w.type === 'decode');
  if (servers.length === 1 && prefill.length === 0 && decode.length === 0 && workers.length === 1) return [roleOf(model, backend, servers[0])];
  if (servers.length === 0 && prefill.length === 1 && decode.length === 1 && workers.length === 2) {
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
 * an autoscaler owns the count (the backend or Model has a policy), the controller keeps it within
 * [minReplicas, maxReplicas] instead of resetting it to minReplicas on every reconcile.
 */
export function modelInferOf(model: Model, backend: ModelBackend, currentReplicas?: number, metaOf: MetaOf = metaOfModel(model)): ModelInfer {
  const min = backend.minReplicas ?? 1;
  const max = backend.maxReplicas ?? Math.max(min, 1);
  let replicas = min;
  if (isAutoscaled(model, backend) && currentReplicas !== undefined) replicas = Math.min(Math.max(currentReplicas, min), max);
  const meta = metaOf(backendChildName(model, backend), backend);
  return {
    apiVersion: API_GROUPS.workload,
    kind: 'ModelInfer',
    metadata: { ...meta, annotations: { [ENGINE_ANNOTATION]: engineOf(backend) } },
    spec: {
      replicas,
      recoveryPolicy: 'RoleRecreate',
      rolloutStrategy: { type: 'InferGroupRollingUpdate', maxUnavailable: 1, maxSurge: 0 },
      template: { restartGracePeriodSeconds: 0, roles: rolesOf(model, backend).map((r) => r.role) },
    },
  };
}

/** Retries a derived ModelServer asks the gateway for (MatrixInfer's model controller sets 5). */
export const DERIVED_RETRY_ATTEMPTS = 5;

/** The backend's ModelServer: selects the ModelInfer's entry instances, names the model its engines serve. */
export function modelServerOf(model: Model, backend: ModelBackend, metaOf: MetaOf = metaOfModel(model)): ModelServer {
  const infer = backendChildName(model, backend);
  const server: ModelServer = {
    apiVersion: API_GROUPS.networking,
    kind: 'ModelServer',
    metadata: metaOf(infer, backend),
    spec: {
      model: engineServedName(model, backend),
      inferenceEngine: engineOf(backend),
      workloadSelector: { matchLabels: { [INSTANCE_LABELS.modelInfer]: infer } },
      workloadPort: { port: enginePort(workersOf(backend)[0]), protocol: 'http' },
      // Failover on by default, as MatrixInfer's derived ModelServers: a request that has not sent
      // a byte to the client is retried on another endpoint (the gateway's retry policy).
      trafficPolicy: { retry: { attempts: DERIVED_RETRY_ATTEMPTS } },
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

function connectorType(name: string): 'http' | 'lmcache' | 'nixl' | 'mooncake' {
  const n = name.toLowerCase();
  if (n.includes('nixl')) return 'nixl';
  if (n.includes('lmcache')) return 'lmcache';
  if (n.includes('mooncake')) return 'mooncake';
  return 'http';
}

/**
 * The KV connector the gateway must speak to a disaggregated backend: the one its vLLM engines
 * were started with (`--kv-transfer-config` kv_connector, NIXL when the config names none);
 * for simulated workers the config's, else `http`.
 */
export function kvConnectorOf(backend: ModelBackend): 'http' | 'lmcache' | 'nixl' | 'mooncake' {
  for (const w of workersOf(backend)) {
    if (w.type === undefined || w.type === 'server') continue;
    const raw = configValue(workerConfig(w), '--kv-transfer-config');
    if (w.image && engineOf(backend) === 'vLLM') return connectorType(vllmKvTransferConfig(w.type, raw).connector);
    let cfg: unknown = raw;
    if (typeof raw === 'string') {
      try {
        cfg = JSON.parse(raw);
      } catch {
        continue; // the engine itself will refuse it; nothing to learn here
      }
    }
    const name = (cfg as { kv_connector?: unknown } | null)?.kv_connector;
    if (typeof name === 'string') return connectorType(name);
  }
  return 'http';
}

/** The model's ModelRoute: one rule, every backend's server weighted by routeWeight. */
export function modelRouteOf(model: Model, metaOf: MetaOf = metaOfModel(model)): ModelRoute {
  const adapters = new Set<string>();
  for (const b of model.spec.backends) for (const a of b.loraAdapters ?? []) adapters.add(a.name);
  const route: ModelRoute = {
    apiVersion: API_GROUPS.networking,
    kind: 'ModelRoute',
    metadata: metaOf(model.metadata.name),
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

/** Looks up the replica count of an existing child ModelInfer (for autoscaled backends). */
export type ReplicasOf = (modelInferName: string) => number | undefined;

/**
 * Every child of a Model, in a fixed order: per backend ModelInfer, ModelServer, policy, binding;
 * then the Model's policy and binding, and the route.
 */
export function expandModel(model: Model, replicasOf: ReplicasOf = () => undefined): AnyResource[] {
  const metaOf = metaOfModel(model);
  const out: AnyResource[] = [];
  const seen = new Set<string>();
  for (const backend of model.spec.backends) {
    if (seen.has(backend.name)) throw new InvalidResourceError(`Model ${model.metadata.name}: backend name ${backend.name} is used twice`);
    seen.add(backend.name);
    out.push(modelInferOf(model, backend, replicasOf(backendChildName(model, backend)), metaOf));
    out.push(modelServerOf(model, backend, metaOf));
    const policy = backendPolicyOf(model, backend, metaOf);
    if (policy) out.push(policy);
    const binding = bindingOf(model, backend, metaOf);
    if (binding) out.push(binding);
  }
  const policy = modelPolicyOf(model, metaOf);
  if (policy) out.push(policy);
  const shared = modelBindingOf(model, metaOf);
  if (shared) out.push(shared);
  out.push(modelRouteOf(model, metaOf));
  return out.map(stampRevision);
}
