// Builds a trimmed JSON Schema of the Kubernetes kinds the install bundle uses from the models
// of @kubernetes/client-node (generated from the Kubernetes OpenAPI spec): each model's wire
// fields and types, its required fields, and no field beyond them (an unknown field is an error,
// as with `kubectl apply --validate=strict`). Enums and formats beyond date-time are not carried.

/** One attribute of a client model, as the generator recorded it. */
export interface ModelAttribute { name: string; baseName: string; type: string; format: string }

/** Where model descriptions come from; `nodeModelSource()` reads the installed client. */
export interface ModelSource {
  /** The model's attributes, or undefined when `model` is not a model class. */
  attributes(model: string): ModelAttribute[] | undefined;
  /** TypeScript names of the model's non-optional properties. */
  required(model: string): string[];
}

/** A JSON Schema node (the subset this builder writes). */
export type SchemaNode = Record<string, unknown>;

/** The vendored document: definitions plus which one validates each `apiVersion/kind`. */
export interface KubernetesSchema {
  source: string;
  kinds: Record<string, string>;
  definitions: Record<string, SchemaNode>;
}

/** The kinds MatrixInfer's manifests use, by `apiVersion/kind`, with their model names. */
export const BUNDLE_KINDS: Record<string, string> = {
  'v1/Namespace': 'V1Namespace',
  'v1/ServiceAccount': 'V1ServiceAccount',
  'v1/Service': 'V1Service',
  'v1/ConfigMap': 'V1ConfigMap',
  'v1/Secret': 'V1Secret',
  'apps/v1/Deployment': 'V1Deployment',
  'apps/v1/StatefulSet': 'V1StatefulSet',
  'policy/v1/PodDisruptionBudget': 'V1PodDisruptionBudget',
  'rbac.authorization.k8s.io/v1/ClusterRole': 'V1ClusterRole',
  'rbac.authorization.k8s.io/v1/ClusterRoleBinding': 'V1ClusterRoleBinding',
  'rbac.authorization.k8s.io/v1/Role': 'V1Role',
  'rbac.authorization.k8s.io/v1/RoleBinding': 'V1RoleBinding',
  'apiextensions.k8s.io/v1/CustomResourceDefinition': 'V1CustomResourceDefinition',
  'admissionregistration.k8s.io/v1/ValidatingWebhookConfiguration': 'V1ValidatingWebhookConfiguration',
  'admissionregistration.k8s.io/v1/MutatingWebhookConfiguration': 'V1MutatingWebhookConfiguration',
};

const ARRAY = /^Array<(.+)>$/;
const MAP = /^\{ \[key: string\]: (.+); \}$/;

function typeSchema(type: string, format: string, source: ModelSource, pending: string[]): SchemaNode {
  const arr = ARRAY.exec(type);
  if (arr) return { type: 'array', items: typeSchema(arr[1] as string, format, source, pending) };
  const map = MAP.exec(type);
  if (map) return { type: 'object', additionalProperties: typeSchema(map[1] as string, format, source, pending) };
  switch (type) {
    case 'string':
      return { type: 'string' };
    case 'boolean':
      return { type: 'boolean' };
    case 'number':
      return format === 'int32' || format === 'int64' ? { type: 'integer' } : { type: 'number' };
    case 'Date':
      return { type: 'string', format: 'date-time' };
    case 'IntOrString':
      return { type: ['integer', 'string'] };
    case 'any':
    case 'object':
      return {};
    default:
      if (source.attributes(type) === undefined) throw new Error(`no model ${type} in the client (a type this builder does not know)`);
      pending.push(type);
      return { $ref: `#/definitions/${type}` };
  }
}

/** The schema of `kinds` and every model they reach, with `additionalProperties: false` everywhere. */
export function buildKubernetesSchema(source: ModelSource, kinds: Record<string, string>, sourceName: string): KubernetesSchema {
  const definitions: Record<string, SchemaNode> = {};
  const pending = Object.values(kinds);
  while (pending.length > 0) {
    const model = pending.pop() as string;
    if (definitions[model] !== undefined) continue;
    const attrs = source.attributes(model);
    if (attrs === undefined) throw new Error(`no model ${model} in the client`);
    const required = new Set(source.required(model));
    const properties: Record<string, SchemaNode> = {};
    for (const a of attrs) properties[a.baseName] = typeSchema(a.type, a.format, source, pending);
    const req = attrs.filter((a) => required.has(a.name)).map((a) => a.baseName).sort();
    definitions[model] = { type: 'object', properties, ...(req.length > 0 ? { required: req } : {}), additionalProperties: false };
  }
  const sorted = Object.fromEntries(Object.keys(definitions).sort().map((k) => [k, definitions[k] as SchemaNode]));
  return { source: sourceName, kinds, definitions: sorted };
}
