// What the autoscaler scales, computed from the desired resources: every binding with its
// translated policy (or why it cannot be used), the ModelInfers it writes, and which client
// model names feed each target's gateway load (ModelRoute -> ModelServer -> ModelInfer).
// Pure: the runner rebuilds it from its resource map each tick.
import { INSTANCE_LABELS, type ScaleObservation, type StoredResource } from '@matrixinfer/events';
import type { AutoscalingPolicy, AutoscalingPolicyBinding, Model, ModelInfer, ModelRoute, ModelServer } from '@matrixinfer/schemas';
import { BACKEND_LABEL, MODEL_LABEL } from '../../controllers/model/expand.js';
import { AutoscalerError } from '../errors.js';
import { graceMsOfBackend, toBindingPlan, toScalingPolicy, type BindingPlan } from '../policy.js';
import type { ScalingPolicy } from '../types.js';
import type { ModelShare } from './book.js';

/** One binding the runner acts on, or why it cannot. */
export type ScaleUnit =
  | {
      ok: true;
      namespace: string;
      /** Decision subject / status key name: the ModelInfer for a single target, the binding for an optimizer. */
      name: string;
      plan: BindingPlan;
      policy: ScalingPolicy;
      /** Changes when the translated policy or plan changes (the unit's window state restarts). */
      version: string;
    }
  | { ok: false; namespace: string; name: string; binding: string; error: string };

export interface Topology {
  units: ScaleUnit[];
  /** `<ns>/<name>` -> ModelInfer (with resourceVersion). */
  infers: Map<string, ModelInfer>;
  /** `<ns>/<Kind>/<name>` -> the last /scale read of a target that is not a ModelInfer (Kubernetes mode). */
  scales: Map<string, ScaleObservation>;
  /** Unusable bindings whose name a usable unit decides for (logged, not published). */
  shadowed: Extract<ScaleUnit, { ok: false }>[];
  /** Client model names (with the target's share of their traffic) per `<ns>/<ModelInfer>`. */
  models: Map<string, ModelShare[]>;
}

function ns(r: { metadata: { namespace?: string } }): string {
  return r.metadata.namespace ?? 'default';
}

type Backend = Model['spec']['backends'][number];

// The Model backend a ModelInfer was derived from (its labels name both), if any.
function backendLookup(namespace: string, infers: Map<string, ModelInfer>, models: Map<string, Model>): (target: string) => Backend | undefined {
  return (target) => {
    const mi = infers.get(`${namespace}/${target}`);
    const modelName = mi?.metadata.labels?.[MODEL_LABEL];
    const backendName = mi?.metadata.labels?.[BACKEND_LABEL];
    if (!modelName || !backendName) return undefined;
    return models.get(`${namespace}/${modelName}`)?.spec.backends.find((b) => b.name === backendName);
  };
}

function modelShares(routes: ModelRoute[], servers: Map<string, ModelServer>, infers: Map<string, ModelInfer>): Map<string, ModelShare[]> {
  const out = new Map<string, ModelShare[]>();
  for (const route of routes) {
    const namespace = ns(route);
    // Weights over every rule's targets, by ModelInfer: a target's share of the model's traffic.
    const weights = new Map<string, number>();
    let total = 0;
    for (const rule of route.spec.rules ?? []) {
      for (const t of rule.targetModels ?? []) {
        const server = servers.get(`${namespace}/${t.modelServerName}`);
        const infer = server?.spec.workloadSelector?.matchLabels?.[INSTANCE_LABELS.modelInfer] ?? t.modelServerName;
        if (!infers.has(`${namespace}/${infer}`)) continue;
        const w = t.weight ?? 100;
        weights.set(infer, (weights.get(infer) ?? 0) + w);
        total += w;
      }
    }
    const names = [route.spec.modelName ?? route.metadata.name, ...(route.spec.loraAdapters ?? [])];
    for (const [infer, w] of weights) {
      const key = `${namespace}/${infer}`;
      const list = out.get(key) ?? [];
      for (const model of names) list.push({ model, share: total > 0 ? w / total : 0 });
      out.set(key, list);
    }
  }
  return out;
}

/** Builds the topology from the live desired resources and the scale observations of other targets. */
export function buildTopology(resources: Iterable<StoredResource>, scales: Map<string, ScaleObservation> = new Map()): Topology {
  const infers = new Map<string, ModelInfer>();
  const servers = new Map<string, ModelServer>();
  const models = new Map<string, Model>();
  const policies = new Map<string, AutoscalingPolicy>();
  const bindings: AutoscalingPolicyBinding[] = [];
  const routes: ModelRoute[] = [];
  for (const r of resources) {
    const key = `${ns(r)}/${r.metadata.name}`;
    if (r.kind === 'ModelInfer') infers.set(key, r as unknown as ModelInfer);
    else if (r.kind === 'ModelServer') servers.set(key, r as unknown as ModelServer);
    else if (r.kind === 'Model') models.set(key, r as unknown as Model);
    else if (r.kind === 'ModelRoute') routes.push(r as unknown as ModelRoute);
    else if (r.kind === 'AutoscalingPolicy') policies.set(key, r as unknown as AutoscalingPolicy);
    else if (r.kind === 'AutoscalingPolicyBinding') bindings.push(r as unknown as AutoscalingPolicyBinding);
  }
  bindings.sort((a, b) => `${ns(a)}/${a.metadata.name}`.localeCompare(`${ns(b)}/${b.metadata.name}`));
  const owner = new Map<string, string>();
  const units: ScaleUnit[] = [];
  for (const b of bindings) {
    const namespace = ns(b);
    const fallbackName = b.spec.scalingConfiguration?.target.targetRef.name ?? b.metadata.name;
    const fail = (error: string): void => void units.push({ ok: false, namespace, name: fallbackName, binding: b.metadata.name, error });
    try {
      const backendOf = backendLookup(namespace, infers, models);
      const plan = toBindingPlan(
        b,
        (t) => {
          const backend = backendOf(t);
          return backend ? graceMsOfBackend(backend.scaleToZeroGracePeriod) : undefined;
        },
        (t) => backendOf(t)?.scalingCost,
      );
      const policyRes = policies.get(`${namespace}/${plan.policy}`);
      if (!policyRes) {
        fail(`AutoscalingPolicy ${plan.policy} not found in namespace ${namespace}`);
        continue;
      }
      const policy = toScalingPolicy(policyRes);
      const taken = plan.targets.map((t) => t.target).find((t) => owner.has(`${namespace}/${t}`));
      if (taken !== undefined) {
        // Named after the binding: the target's own decision subject belongs to the owner.
        units.push({ ok: false, namespace, name: b.metadata.name, binding: b.metadata.name, error: `ModelInfer ${taken} is already scaled by AutoscalingPolicyBinding ${owner.get(`${namespace}/${taken}`)}` });
        continue;
      }
      for (const t of plan.targets) owner.set(`${namespace}/${t.target}`, b.metadata.name);
      const name = plan.mode === 'single' ? plan.targets[0].target : b.metadata.name;
      units.push({ ok: true, namespace, name, plan, policy, version: JSON.stringify([plan, policy]) });
    } catch (err) {
      if (!(err instanceof AutoscalerError)) throw err;
      fail(`AutoscalingPolicyBinding ${b.metadata.name} or its policy is invalid: ${err.message}`);
    }
  }
  // A unit that cannot be used never speaks for a name a usable unit decides for.
  const usable = new Set(units.filter((u) => u.ok).map((u) => `${u.namespace}/${u.name}`));
  const kept = units.filter((u) => u.ok || !usable.has(`${u.namespace}/${u.name}`));
  const shadowed = units.filter((u): u is Extract<ScaleUnit, { ok: false }> => !u.ok && usable.has(`${u.namespace}/${u.name}`));
  return { units: kept, shadowed, infers, scales, models: modelShares(routes, servers, infers) };
}
