// Cross-field rules by kind: what ajv cannot express, run on the defaulted document.
import type { ValidationIssue } from '../issues.js';
import type { KindName } from '../registry.js';
import { autoscalingPolicyBindingRules, autoscalingPolicyRules } from './autoscaling.js';
import { modelRules } from './model.js';
import { modelInferRules } from './modelInfer.js';
import { modelRouteRules, modelServerRules } from './networking.js';
import type { Obj } from './util.js';

const RULES: Record<KindName, (doc: Obj) => ValidationIssue[]> = {
  Model: modelRules,
  ModelInfer: modelInferRules,
  ModelServer: modelServerRules,
  ModelRoute: modelRouteRules,
  AutoscalingPolicy: autoscalingPolicyRules,
  AutoscalingPolicyBinding: autoscalingPolicyBindingRules,
};

/** Every cross-field issue of a document of the given kind (never throws on odd shapes). */
export function crossFieldIssues(kind: KindName, doc: Obj): ValidationIssue[] {
  return RULES[kind](doc);
}
