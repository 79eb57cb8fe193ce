// Checks across resources, read from the webhook's cache of the cluster's MatrixInfer objects
// (list-then-watch, like an informer): an AutoscalingPolicyBinding needs its policy and its
// target ModelInfers to exist and a target can be bound once; a ModelRoute naming a ModelServer
// that does not exist (yet) gets a warning, since `kubectl apply -f dir/` applies files in name
// order; so does a ModelServer whose selector matches no ModelInfer's instances. Pure over the
// cache.
import { INSTANCE_LABELS } from '@matrixinfer/events';
import type { ValidationIssue } from '@matrixinfer/schemas';
import type { K8sObject } from '../ingest/object.js';

/** What the checks read: objects by kind, namespace and name. */
export interface ObjectCache {
  get(kind: string, namespace: string, name: string): K8sObject | undefined;
  list(kind: string, namespace: string): K8sObject[];
}

/** Denials (field errors) and warnings of one object. */
export interface CrossResult {
  denials: ValidationIssue[];
  warnings: string[];
}

interface TargetRef {
  name?: unknown;
}

/** Every ModelInfer a binding targets, with the path it is named at. */
export function bindingTargets(spec: unknown): { name: string; path: string }[] {
  const s = (spec ?? {}) as { scalingConfiguration?: { target?: { targetRef?: TargetRef } }; optimizerConfiguration?: { params?: { target?: { targetRef?: TargetRef } }[] } };
  const out: { name: string; path: string }[] = [];
  const single = s.scalingConfiguration?.target?.targetRef?.name;
  if (typeof single === 'string') out.push({ name: single, path: 'spec.scalingConfiguration.target.targetRef.name' });
  for (const [i, p] of (s.optimizerConfiguration?.params ?? []).entries()) {
    const n = p?.target?.targetRef?.name;
    if (typeof n === 'string') out.push({ name: n, path: `spec.optimizerConfiguration.params[${i}].target.targetRef.name` });
  }
  return out;
}

// Instance labels whose values only exist once instances run (group, role replica, revision).
const RUNTIME_LABELS = new Set<string>([INSTANCE_LABELS.group, INSTANCE_LABELS.roleId, INSTANCE_LABELS.revision, INSTANCE_LABELS.entry]);

/** True when some role of some cached ModelInfer makes instances `matchLabels` can select. */
export function selectsSomething(matchLabels: Record<string, string>, inferences: readonly K8sObject[]): boolean {
  for (const mi of inferences) {
    const roles = ((mi.spec as { template?: { roles?: { name?: string; entryTemplate?: { metadata?: { labels?: Record<string, string> } } }[] } } | undefined)?.template?.roles ?? []);
    for (const r of roles) {
      const labels: Record<string, string> = { ...(r.entryTemplate?.metadata?.labels ?? {}), [INSTANCE_LABELS.modelInfer]: mi.metadata?.name ?? '', [INSTANCE_LABELS.role]: r.name ?? '' };
      if (Object.entries(matchLabels).every(([k, v]) => RUNTIME_LABELS.has(k) || labels[k] === v)) return true;
    }
  }
  return false;
}

/** The cross-resource verdict on `obj` of `kind` (created or updated). */
export function crossResourceChecks(kind: string, obj: K8sObject, cache: ObjectCache): CrossResult {
  const ns = obj.metadata?.namespace ?? 'default';
  const name = obj.metadata?.name ?? '';
  const out: CrossResult = { denials: [], warnings: [] };
  if (kind === 'AutoscalingPolicyBinding') {
    const spec = obj.spec as { policyRef?: { name?: unknown } } | undefined;
    const policy = spec?.policyRef?.name;
    if (typeof policy === 'string' && cache.get('AutoscalingPolicy', ns, policy) === undefined) {
      out.denials.push({ path: 'spec.policyRef.name', message: `AutoscalingPolicy "${policy}" does not exist in namespace ${ns}; create it first` });
    }
    const others = cache.list('AutoscalingPolicyBinding', ns).filter((b) => b.metadata?.name !== name);
    for (const t of bindingTargets(obj.spec)) {
      if (cache.get('ModelInfer', ns, t.name) === undefined) out.denials.push({ path: t.path, message: `ModelInfer "${t.name}" does not exist in namespace ${ns}` });
      const taken = others.find((b) => bindingTargets(b.spec).some((o) => o.name === t.name));
      if (taken) out.denials.push({ path: t.path, message: `ModelInfer "${t.name}" is already scaled by AutoscalingPolicyBinding "${taken.metadata?.name}"; one binding per target` });
    }
  }
  if (kind === 'ModelServer') {
    const sel = (obj.spec as { workloadSelector?: { matchLabels?: Record<string, string> } } | undefined)?.workloadSelector?.matchLabels;
    if (sel && typeof sel === 'object' && !selectsSomething(sel, cache.list('ModelInfer', ns))) {
      out.warnings.push(`spec.workloadSelector.matchLabels: no ModelInfer in namespace ${ns} makes instances with these labels (yet); the server has no endpoints until one does`);
    }
  }
  if (kind === 'ModelRoute') {
    const rules = ((obj.spec as { rules?: { targetModels?: { modelServerName?: unknown }[] }[] } | undefined)?.rules ?? []);
    for (const [i, r] of rules.entries()) {
      for (const [j, t] of (r?.targetModels ?? []).entries()) {
        if (typeof t?.modelServerName === 'string' && cache.get('ModelServer', ns, t.modelServerName) === undefined) {
          out.warnings.push(`spec.rules[${i}].targetModels[${j}].modelServerName: ModelServer "${t.modelServerName}" does not exist in namespace ${ns} (yet); the route sends nothing there until it does`);
        }
      }
    }
  }
  return out;
}

/** Whether deleting `obj` of `kind` would strand something: a policy still named by a binding. */
export function deletionChecks(kind: string, obj: K8sObject, cache: ObjectCache): CrossResult {
  const out: CrossResult = { denials: [], warnings: [] };
  if (kind !== 'AutoscalingPolicy') return out;
  const ns = obj.metadata?.namespace ?? 'default';
  const name = obj.metadata?.name ?? '';
  const users = cache.list('AutoscalingPolicyBinding', ns).filter((b) => (b.spec as { policyRef?: { name?: unknown } } | undefined)?.policyRef?.name === name);
  if (users.length > 0) {
    out.denials.push({ path: 'metadata.name', message: `AutoscalingPolicy "${name}" is used by AutoscalingPolicyBinding ${users.map((b) => `"${b.metadata?.name}"`).join(', ')}; delete or change those first` });
  }
  return out;
}
