// Cross-field rules of AutoscalingPolicy and AutoscalingPolicyBinding.
import type { ValidationIssue } from '../issues.js';
import { childPath } from '../paths.js';
import { arr, minNotAboveMax, obj, str, uniqueBy } from './util.js';

/** AutoscalingPolicy rules: each metric named once. */
export function autoscalingPolicyRules(doc: { spec?: unknown }): ValidationIssue[] {
  return uniqueBy(arr(obj(doc.spec)?.metrics), 'metricName', 'spec.metrics', 'metricName');
}

/** Binding rules: exactly one configuration, min <= max everywhere, each target once. */
export function autoscalingPolicyBindingRules(doc: { spec?: unknown }): ValidationIssue[] {
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
