// Cross-field rules of AutoscalingPolicy and AutoscalingPolicyBinding.
import type { ValidationIssue } from '../issues.js';
import { childPath } from '../paths.js';
import { isQuantity, parseQuantity } from '../quantity.js';
import { arr, minNotAboveMax, obj, str, uniqueBy } from './util.js';

/** Rules of a policy spec at `path` (a policy's spec, or a Model's inline autoscalingPolicy). */
export function policySpecRules(spec: unknown, path: string): ValidationIssue[] {
  const metrics = arr(obj(spec)?.metrics);
  const out = uniqueBy(metrics, 'metricName', childPath(path, 'metrics'), 'metricName');
  metrics.forEach((m, i) => {
    const v = obj(m)?.targetValue;
    // Malformed quantities are reported by the schema; here only the value matters.
    if (isQuantity(v) && !(parseQuantity(v) > 0)) {
      out.push({ path: childPath(path, 'metrics', i, 'targetValue'), message: `must be greater than 0 (got ${JSON.stringify(v)})` });
    }
    const q = obj(m)?.query;
    if (typeof q === 'string' && q.trim() === '') out.push({ path: childPath(path, 'metrics', i, 'query'), message: 'must be a PromQL expression, not blank' });
  });
  return out;
}

/** AutoscalingPolicy rules: each metric named once, targets above 0, queries not blank. */
export function autoscalingPolicyRules(doc: { spec?: unknown }): ValidationIssue[] {
  return policySpecRules(doc.spec, 'spec');
}

/** Binding rules: exactly one configuration, min <= max everywhere, each target once. */
export function autoscalingPolicyBindingRules(doc: { spec?: unknown; metadata?: unknown }): ValidationIssue[] {
  const spec = obj(doc.spec);
  if (!spec) return [];
  const scaling = obj(spec.scalingConfiguration);
  const optimizer = obj(spec.optimizerConfiguration);
  const out: ValidationIssue[] = [];
  const hasScaling = spec.scalingConfiguration !== undefined;
  const hasOptimizer = spec.optimizerConfiguration !== undefined;
  if (hasScaling === hasOptimizer) {
    out.push({
      path: 'spec',
      message: `must set exactly one of scalingConfiguration and optimizerConfiguration (got ${hasScaling ? 'both' : 'neither'})`,
    });
  }
  out.push(...minNotAboveMax(scaling, 'spec.scalingConfiguration'));
  // A binding scales workloads of its own namespace only (as HPA scaleTargetRef does).
  const ns = str(obj(doc.metadata)?.namespace);
  const refs: Array<[unknown, string]> = [[scaling?.target, 'spec.scalingConfiguration.target']];
  arr(optimizer?.params).forEach((p, i) => refs.push([obj(p)?.target, childPath('spec.optimizerConfiguration.params', i, 'target')]));
  for (const [target, path] of refs) {
    const ref = obj(obj(target)?.targetRef);
    const refNs = str(ref?.namespace);
    if (refNs !== undefined && ns !== undefined && refNs !== ns) {
      out.push({ path: childPath(path, 'targetRef', 'namespace'), message: `must be the binding's own namespace "${ns}" (got "${refNs}")` });
    }
    out.push(...targetKindIssues(ref, childPath(path, 'targetRef')));
  }
  const params = arr(optimizer?.params);
  const seen = new Map<string, number>();
  params.forEach((p, i) => {
    const path = childPath('spec.optimizerConfiguration.params', i);
    out.push(...minNotAboveMax(obj(p), path));
    const target = str(obj(obj(obj(p)?.target)?.targetRef)?.name);
    if (target === undefined) return;
    const first = seen.get(target);
    if (first === undefined) seen.set(target, i);
    else out.push({ path: childPath(path, 'target', 'targetRef', 'name'), message: `duplicate target "${target}" (also used by ${childPath('spec.optimizerConfiguration.params', first)})` });
  });
  return out;
}

const MODELINFER_API = 'workload.matrixinfer.ai/v1alpha1';

// A ModelInfer is ours (its API version is known); any other kind is found through its
// apiVersion, so it must be given (as HPA's scaleTargetRef requires).
function targetKindIssues(ref: Record<string, unknown> | undefined, path: string): ValidationIssue[] {
  if (ref === undefined) return [];
  const kind = str(ref.kind) ?? 'ModelInfer';
  const apiVersion = str(ref.apiVersion);
  if (kind === 'ModelInfer' && apiVersion !== undefined && apiVersion !== MODELINFER_API) {
    return [{ path: childPath(path, 'apiVersion'), message: `must be ${MODELINFER_API} for a ModelInfer (got "${apiVersion}")` }];
  }
  if (kind !== 'ModelInfer' && apiVersion === undefined) {
    return [{ path: childPath(path, 'apiVersion'), message: `is required for kind ${kind} (e.g. apps/v1 for a Deployment or StatefulSet)` }];
  }
  return [];
}
