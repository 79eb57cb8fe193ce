// Converts our JSON Schemas (draft-07, with $ref) into the structural OpenAPI v3 schema a
// Kubernetes CRD requires: refs inlined, every node typed, int-or-string and preserved
// unknown fields spelt the Kubernetes way, and keywords Kubernetes rejects removed.
import { resolveRef, type JsonSchema } from '@matrixinfer/schemas';

type Defs = Record<string, JsonSchema>;

/** Keywords copied unchanged into the CRD (all are JSONSchemaProps fields). */
const KEEP = [
  'type',
  'description',
  'enum',
  'default',
  'minimum',
  'maximum',
  'minLength',
  'maxLength',
  'pattern',
  'minItems',
  'maxItems',
  'minProperties',
  'maxProperties',
  'required',
  'format',
  'x-kubernetes-int-or-string',
  'x-kubernetes-preserve-unknown-fields',
  'x-kubernetes-list-type',
  'x-kubernetes-list-map-keys',
  'x-kubernetes-validations',
];

/** Follows `$ref`s; keywords beside a `$ref` (description, default) win over the target's. */
function deref(node: JsonSchema, defs: Defs): JsonSchema {
  let out = node;
  while (typeof out.$ref === 'string') {
    const { $ref, ...siblings } = out;
    out = { ...resolveRef($ref as string, defs), ...siblings };
  }
  return out;
}

function intOrString(node: JsonSchema): JsonSchema {
  // The only anyOf Kubernetes accepts on an untyped node is exactly this one.
  const out: JsonSchema = { 'x-kubernetes-int-or-string': true, anyOf: [{ type: 'integer' }, { type: 'string' }] };
  if (typeof node.description === 'string') out.description = node.description;
  return out;
}

/** The structural CRD schema of one JSON Schema node (recursively). */
export function toStructural(input: JsonSchema, defs: Defs): JsonSchema {
  const node = deref(input, defs);
  if (node['x-kubernetes-int-or-string'] === true) return intOrString(node);
  if (node.anyOf !== undefined || node.oneOf !== undefined) {
    throw new Error('anyOf/oneOf is only supported as x-kubernetes-int-or-string in CRD schemas');
  }
  const out: JsonSchema = {};
  for (const k of KEEP) if (node[k] !== undefined) out[k] = structuredClone(node[k]);
  // draft-07 numeric exclusiveMinimum -> OpenAPI v3 minimum + boolean flag.
  if (typeof node.exclusiveMinimum === 'number') {
    out.minimum = node.exclusiveMinimum;
    out.exclusiveMinimum = true;
  }
  if (typeof node.exclusiveMaximum === 'number') {
    out.maximum = node.exclusiveMaximum;
    out.exclusiveMaximum = true;
  }
  const props = node.properties as Record<string, JsonSchema> | undefined;
  if (props) {
    out.properties = Object.fromEntries(Object.entries(props).map(([k, v]) => [k, toStructural(v, defs)]));
  }
  if (node.items && typeof node.items === 'object') out.items = toStructural(node.items as JsonSchema, defs);
  const extra = node.additionalProperties;
  if (extra && typeof extra === 'object') {
    out.additionalProperties = toStructural(extra as JsonSchema, defs);
  } else if (extra === true) {
    // Open objects (engine config, env valueFrom, pass-through pod fields) keep unknown fields.
    out['x-kubernetes-preserve-unknown-fields'] = true;
  }
  if (out.type === undefined && out['x-kubernetes-preserve-unknown-fields'] !== true) {
    throw new Error(`schema node without a type cannot go into a CRD: ${JSON.stringify(input).slice(0, 120)}`);
  }
  return out;
}
