// Puts the kind schemas and all definitions together: the one bundle that ajv, the TypeScript
// generator and the CRD generator all read.
import { autoscalingPolicyKind } from './kinds/autoscalingPolicy.js';
import { autoscalingPolicyBindingKind } from './kinds/autoscalingPolicyBinding.js';
import { commonDefinitions } from './kinds/common.js';
import { modelKind } from './kinds/model.js';
import { modelInferKind } from './kinds/modelInfer.js';
import { modelRouteKind } from './kinds/modelRoute.js';
import { modelServerKind } from './kinds/modelServer.js';
import { podDefinitions } from './kinds/pod.js';
import type { JsonSchema, KindSchema } from './kinds/types.js';

/** Every kind's schema, in the order of KINDS. */
export const KIND_SCHEMAS: readonly KindSchema[] = [
  modelKind,
  modelInferKind,
  modelServerKind,
  modelRouteKind,
  autoscalingPolicyKind,
  autoscalingPolicyBindingKind,
];

/** All definitions (common + each kind's spec/status parts + each kind's top schema by kind). */
export function allDefinitions(): Record<string, JsonSchema> {
  const defs: Record<string, JsonSchema> = { ...commonDefinitions, ...podDefinitions };
  for (const k of KIND_SCHEMAS) {
    for (const [name, schema] of Object.entries({ ...k.definitions, [k.kind]: k.schema })) {
      if (name in defs) throw new Error(`schema definition ${name} is defined twice`);
      defs[name] = schema;
    }
  }
  return defs;
}

/** Self-contained schema of one kind: its top schema plus every definition it may refer to. */
export function kindBundle(kind: string): JsonSchema {
  const k = KIND_SCHEMAS.find((s) => s.kind === kind);
  if (!k) throw new Error(`no schema for kind ${kind}`);
  return { $id: `https://matrixinfer.ai/schemas/${kind}.json`, ...k.schema, definitions: allDefinitions() };
}

/** Resolves a local `#/definitions/X` reference against the bundle. */
export function resolveRef(ref: string, defs: Record<string, JsonSchema>): JsonSchema {
  const m = /^#\/definitions\/([A-Za-z0-9_]+)$/.exec(ref);
  const target = m ? defs[m[1]] : undefined;
  if (!target) throw new Error(`unresolvable schema reference ${ref}`);
  return target;
}
