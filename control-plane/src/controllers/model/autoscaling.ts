// A Model's autoscaling children. MatrixInfer writes the policy inline (`autoscalingPolicy:
// {metrics, behavior, ...}`) at model or backend level: each inline policy becomes an
// AutoscalingPolicy named like its binding. A named, separately applied policy is referenced
// with `autoscalingPolicyRef` (a bare string in `autoscalingPolicy`, our older spelling, is read
// the same way). A backend with its own policy gets a binding scaling its ModelInfer between
// minReplicas and maxReplicas; a model-level policy binds every other backend through the cost
// optimizer (scalingCost per backend, costExpansionRatePercent).
import { API_GROUPS, type AnyResource, type AutoscalingPolicyBinding, type Model, type ModelBackend } from '../types.js';

type PolicyHolder = { autoscalingPolicy?: unknown; autoscalingPolicyRef?: unknown };

/** The inline policy of a Model spec or backend, if it has one. */
export function inlinePolicyOf(holder: object): Record<string, unknown> | undefined {
  const v = (holder as PolicyHolder).autoscalingPolicy;
  return v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
}

/** The name of the separately applied policy a Model spec or backend refers to, if any. */
export function policyRefOf(holder: object): string | undefined {
  const h = holder as PolicyHolder;
  if (typeof h.autoscalingPolicyRef === 'string' && h.autoscalingPolicyRef !== '') return h.autoscalingPolicyRef;
  if (typeof h.autoscalingPolicyRef === 'object' && h.autoscalingPolicyRef !== null) {
    const name = (h.autoscalingPolicyRef as { name?: unknown }).name;
    if (typeof name === 'string' && name !== '') return name;
  }
  return typeof h.autoscalingPolicy === 'string' && h.autoscalingPolicy !== '' ? h.autoscalingPolicy : undefined;
}

function hasPolicy(holder: object): boolean {
  return inlinePolicyOf(holder) !== undefined || policyRefOf(holder) !== undefined;
}

/** True when an autoscaler owns the backend's replica count. */
export function isAutoscaled(model: Model, backend: ModelBackend): boolean {
  return hasPolicy(backend) || hasPolicy(model.spec);
}

/** Metadata of a derived child, given by the expander (name, namespace, labels, owner). */
export type MetaOf = (name: string, backend?: ModelBackend) => AnyResource['metadata'];

/** Deterministic child name of a backend's ModelInfer/ModelServer/policy/binding. */
export function backendChildName(model: Model, backend: ModelBackend): string {
  return `${model.metadata.name}-${backend.name}`;
}

function policyResource(name: string, spec: Record<string, unknown>, meta: AnyResource['metadata']): AnyResource {
  return { apiVersion: API_GROUPS.registry, kind: 'AutoscalingPolicy', metadata: meta, spec: structuredClone(spec) };
}

/** The AutoscalingPolicy of a backend's inline policy (named like the backend's children). */
export function backendPolicyOf(model: Model, backend: ModelBackend, metaOf: MetaOf): AnyResource | null {
  const inline = inlinePolicyOf(backend);
  const name = backendChildName(model, backend);
  return inline ? policyResource(name, inline, metaOf(name, backend)) : null;
}

/** The AutoscalingPolicy of the Model's inline policy (named like the Model). */
export function modelPolicyOf(model: Model, metaOf: MetaOf): AnyResource | null {
  const inline = inlinePolicyOf(model.spec);
  return inline ? policyResource(model.metadata.name, inline, metaOf(model.metadata.name)) : null;
}

/** The binding of a backend with a policy of its own, targeting its ModelInfer. */
export function bindingOf(model: Model, backend: ModelBackend, metaOf: MetaOf): AutoscalingPolicyBinding | null {
  const name = backendChildName(model, backend);
  const policy = inlinePolicyOf(backend) ? name : policyRefOf(backend);
  if (!policy) return null;
  return {
    apiVersion: API_GROUPS.registry,
    kind: 'AutoscalingPolicyBinding',
    metadata: metaOf(name, backend),
    spec: {
      policyRef: { name: policy },
      scalingConfiguration: {
        target: { targetRef: { kind: 'ModelInfer' as const, name } },
        minReplicas: backend.minReplicas ?? 1,
        maxReplicas: backend.maxReplicas,
      },
    },
  };
}

/** The Model-wide binding: the cost optimizer splits replicas over every backend without a policy of its own. */
export function modelBindingOf(model: Model, metaOf: MetaOf): AutoscalingPolicyBinding | null {
  const policy = inlinePolicyOf(model.spec) ? model.metadata.name : policyRefOf(model.spec);
  const backends = model.spec.backends.filter((b) => !hasPolicy(b));
  if (!policy || backends.length === 0) return null;
  const binding: AutoscalingPolicyBinding = {
    apiVersion: API_GROUPS.registry,
    kind: 'AutoscalingPolicyBinding',
    metadata: metaOf(model.metadata.name),
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
