// Pure rendering of the Kubernetes objects of a workload decision: one Pod per InstanceSpec
// (named, labelled and wired as MatrixInfer does) and one headless Service per infer group.
// No I/O, no clock: the same spec and owner always give byte-identical objects, whose content
// hash (an annotation) is what the plan compares, so an unchanged Pod is never restarted.
import { createHash } from 'node:crypto';
import type { V1Container, V1EnvVar, V1OwnerReference, V1Pod, V1PodSpec, V1Probe, V1Service } from '@kubernetes/client-node';
import { INSTANCE_LABELS, type InstanceSpec } from '@matrixinfer/events';

/** apiVersion of the owner of every Pod and Service. */
export const MODEL_INFER_API_VERSION = 'workload.matrixinfer.ai/v1alpha1';
/** Annotations the actuator writes on what it creates. */
export const ACTUATOR_ANNOTATIONS = {
  /** Content hash of the rendered object: equal hash = nothing to change. */
  hash: 'modelinfer.matrixinfer.ai/object-hash',
  /** InstanceSpec.incarnation (recovery recreates), echoed in observations. */
  incarnation: 'modelinfer.matrixinfer.ai/incarnation',
  /** Port the engine serves on (what observations turn into the endpoint address). */
  enginePort: 'modelinfer.matrixinfer.ai/engine-port',
} as const;
/** Port an engine container listens on when its template declares none (the engine default). */
export const DEFAULT_ENGINE_PORT = 8000;
/** Image of a Pod made from a spec that carries no template (the built-in simulator). */
export const DEFAULT_SIMULATOR_IMAGE = 'matrixinfer/mi-engine-sim:latest';

/** The ModelInfer that owns the objects (its uid comes from the API server). */
export interface Owner {
  name: string;
  uid: string;
}

/** Facts the rendering depends on that are not in the spec. */
export interface RenderContext {
  owner: Owner;
  /** Cluster DNS domain of ENTRY_ADDRESS (default cluster.local). */
  clusterDomain?: string;
  /** Image for a spec without a template (default DEFAULT_SIMULATOR_IMAGE). */
  defaultImage?: string;
}

// Names of env vars the actuator owns: a template's own value for one of them is replaced.
const MANAGED_ENV = new Set(['ENTRY_ADDRESS', 'WORKER_INDEX', 'GROUP_SIZE', 'MI_INSTANCE', 'MI_NAMESPACE', 'MI_MODELINFER']);
const MAX_LABEL = 63;

function canonical(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(canonical);
  if (value !== null && typeof value === 'object' && !(value instanceof Date)) {
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(value).sort()) {
      const v = (value as Record<string, unknown>)[k];
      if (v !== undefined) out[k] = canonical(v);
    }
    return out;
  }
  return value;
}

/** Short, order-independent content hash of a JSON value. */
export function contentHash(value: unknown): string {
  return createHash('sha256').update(JSON.stringify(canonical(value))).digest('hex').slice(0, 12);
}

/** Name of the headless Service of a spec's infer group (the group-name label value, `<mi>-<group>`). */
export function groupServiceName(spec: InstanceSpec): string {
  return spec.labels[INSTANCE_LABELS.group] ?? `${spec.modelInfer}-${spec.group}`;
}

/** Name of the entry Pod of a spec's role replica. */
export function entryPodName(spec: InstanceSpec): string {
  return spec.env.MI_ENTRY_INSTANCE ?? `${spec.modelInfer}-${spec.group}-${spec.role}-${spec.roleIndex}-0`;
}

/** Stable DNS name of the entry Pod through its group's headless Service. */
export function entryAddress(spec: InstanceSpec, clusterDomain = 'cluster.local'): string {
  return `${entryPodName(spec)}.${groupServiceName(spec)}.${spec.namespace}.svc.${clusterDomain}`;
}

function ownerReference(owner: Owner): V1OwnerReference {
  return { apiVersion: MODEL_INFER_API_VERSION, kind: 'ModelInfer', name: owner.name, uid: owner.uid, controller: true, blockOwnerDeletion: true };
}

/** The container port the engine (the first container) serves on. */
export function enginePortOf(podSpec: V1PodSpec | undefined): number {
  const ports = podSpec?.containers?.[0]?.ports ?? [];
  const port = ports.find((p) => p.name === 'http') ?? ports[0];
  return port?.containerPort ?? DEFAULT_ENGINE_PORT;
}

// The spec's own PodSpec: its template's, or one container built from command/args/env when the
// decision carries no template (a controller older than the template field).
function basePodSpec(spec: InstanceSpec, ctx: RenderContext): V1PodSpec {
  if (spec.template) return structuredClone(spec.template.spec) as unknown as V1PodSpec;
  const env = Object.keys(spec.env).sort().map((name) => ({ name, value: spec.env[name] }));
  const container: V1Container = { name: 'engine', image: ctx.defaultImage ?? DEFAULT_SIMULATOR_IMAGE, env, ports: [{ name: 'http', containerPort: DEFAULT_ENGINE_PORT }] };
  if (spec.command.length > 0) container.command = [...spec.command];
  if (spec.args.length > 0) container.args = [...spec.args];
  return { containers: [container] };
}

function mentionsPort(c: V1Container): boolean {
  return [...(c.command ?? []), ...(c.args ?? [])].some((a) => a.includes('$(PORT)'));
}

// Template env first (a $(VAR) reference sees only earlier variables), then the workload
// contract: the controller's extra variables and ours, sorted.
function containerEnv(c: V1Container, spec: InstanceSpec, ctx: RenderContext, port: number): V1EnvVar[] {
  const own = (c.env ?? []).filter((e) => !MANAGED_ENV.has(e.name));
  const taken = new Set(own.map((e) => e.name));
  const extra: Record<string, string> = {};
  for (const [k, v] of Object.entries(spec.env)) if (!taken.has(k) && !MANAGED_ENV.has(k)) extra[k] = v;
  Object.assign(extra, {
    ENTRY_ADDRESS: entryAddress(spec, ctx.clusterDomain),
    WORKER_INDEX: String(spec.podIndex),
    GROUP_SIZE: spec.env.GROUP_SIZE ?? '1',
    MI_INSTANCE: spec.name,
    MI_NAMESPACE: spec.namespace,
    MI_MODELINFER: spec.modelInfer,
  });
  // Kubernetes expands $(PORT) in command/args itself once PORT is defined.
  if (mentionsPort(c) && !taken.has('PORT')) extra.PORT = String(port);
  return [...own, ...Object.keys(extra).sort().map((name) => ({ name, value: extra[name] }))];
}

function defaultReadiness(port: number): V1Probe {
  // Same readiness as the local actuator: the engine answers GET /health.
  return { httpGet: { path: '/health', port }, periodSeconds: 2, failureThreshold: 3 };
}

/**
 * The Pod of one InstanceSpec: template (containers, init containers, volumes, probes,
 * resources...) as given, plus name, labels, owner reference, incarnation annotation, hostname
 * and subdomain (stable DNS through the group's headless Service), schedulerName, the
 * ModelInfer's topology spread constraints, the workload env (ENTRY_ADDRESS, WORKER_INDEX,
 * GROUP_SIZE) and, when the engine has none, a GET /health readiness probe. Carries its hash.
 */
export function renderPod(spec: InstanceSpec, ctx: RenderContext): V1Pod {
  const podSpec = basePodSpec(spec, ctx);
  const port = enginePortOf(podSpec);
  podSpec.containers = podSpec.containers.map((c, i) => {
    const out: V1Container = { ...c, env: containerEnv(c, spec, ctx, port) };
    if (i === 0 && out.readinessProbe === undefined) out.readinessProbe = defaultReadiness(port);
    return out;
  });
  if (spec.name.length <= MAX_LABEL) podSpec.hostname = spec.name;
  podSpec.subdomain = groupServiceName(spec);
  const scheduler = spec.schedulerName ?? podSpec.schedulerName;
  if (scheduler !== undefined) podSpec.schedulerName = scheduler;
  if (spec.topologySpreadConstraints && spec.topologySpreadConstraints.length > 0) {
    podSpec.topologySpreadConstraints = [...(podSpec.topologySpreadConstraints ?? []), ...(structuredClone(spec.topologySpreadConstraints) as unknown as NonNullable<V1PodSpec['topologySpreadConstraints']>)];
  }
  const annotations: Record<string, string> = { ...(spec.template?.metadata?.annotations ?? {}), [ACTUATOR_ANNOTATIONS.enginePort]: String(port) };
  annotations[ACTUATOR_ANNOTATIONS.incarnation] = String(spec.incarnation ?? 0);
  const pod: V1Pod = {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: spec.name, namespace: spec.namespace, labels: { ...(spec.template?.metadata?.labels ?? {}), ...spec.labels }, annotations, ownerReferences: [ownerReference(ctx.owner)] },
    spec: podSpec,
  };
  // The owner's uid is left out: a lookup that returns another uid must not restart the Pod.
  annotations[ACTUATOR_ANNOTATIONS.hash] = contentHash({ labels: pod.metadata!.labels, annotations, spec: podSpec });
  return pod;
}

/** The headless Service of the infer group of `spec` (DNS for its Pods, not-ready ones included). */
export function renderGroupService(spec: InstanceSpec, ctx: RenderContext): V1Service {
  const name = groupServiceName(spec);
  const port = spec.template ? enginePortOf(spec.template.spec as unknown as V1PodSpec) : DEFAULT_ENGINE_PORT;
  const selector = { [INSTANCE_LABELS.modelInfer]: spec.modelInfer, [INSTANCE_LABELS.group]: name };
  const body = {
    clusterIP: 'None',
    // Workers resolve their entry before it is ready (it waits for them to join).
    publishNotReadyAddresses: true,
    selector,
    ports: [{ name: 'http', port, targetPort: port, protocol: 'TCP' }],
  };
  const annotations = { [ACTUATOR_ANNOTATIONS.hash]: contentHash({ selector, body }) };
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name, namespace: spec.namespace, labels: { ...selector }, annotations, ownerReferences: [ownerReference(ctx.owner)] },
    spec: body,
  };
}
