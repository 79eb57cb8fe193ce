// Checks a CRD's openAPIV3Schema the way the API server would: structural (every node typed,
// no $ref, anyOf only as int-or-string), known keywords only, and which fields of an object
// pruning would drop. Used by tests and by anyone shipping a hand-edited CRD.
import { V1JSONSchemaProps } from '@kubernetes/client-node';

type Node = Record<string, unknown>;

const KNOWN_KEYWORDS = new Set(V1JSONSchemaProps.getAttributeTypeMap().map((a) => a.baseName));
/** Keywords that describe values only; Kubernetes forbids them inside anyOf branches except `type` for int-or-string. */
const BRANCH_FORBIDDEN = ['description', 'default', 'properties', 'items', 'additionalProperties', 'nullable'];

function isNode(v: unknown): v is Node {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

/** Every reason `schema` is not a structural Kubernetes schema (empty when it is). */
export function structuralViolations(schema: unknown, path = 'openAPIV3Schema'): string[] {
  if (!isNode(schema)) return [`${path}: not an object`];
  const out: string[] = [];
  for (const k of Object.keys(schema)) if (!KNOWN_KEYWORDS.has(k)) out.push(`${path}: unknown keyword ${k}`);
  // JSONSchemaProps has these fields, but a structural schema may not use them.
  for (const k of ['$ref', 'definitions', 'dependencies', 'patternProperties']) {
    if (schema[k] !== undefined) out.push(`${path}: ${k} is not allowed in a structural schema`);
  }
  const intOrString = schema['x-kubernetes-int-or-string'] === true;
  const preserve = schema['x-kubernetes-preserve-unknown-fields'] === true;
  if (typeof schema.type !== 'string' && !intOrString && !preserve) out.push(`${path}: has no type`);
  if (schema.oneOf !== undefined || schema.allOf !== undefined || schema.not !== undefined) out.push(`${path}: uses oneOf/allOf/not`);
  if (schema.anyOf !== undefined) {
    if (!intOrString) out.push(`${path}: anyOf without x-kubernetes-int-or-string`);
    for (const [i, b] of (Array.isArray(schema.anyOf) ? schema.anyOf : []).entries()) {
      for (const k of BRANCH_FORBIDDEN) if (isNode(b) && b[k] !== undefined) out.push(`${path}.anyOf[${i}]: ${k} is not allowed in anyOf`);
    }
  }
  if (schema.additionalProperties === false) out.push(`${path}: additionalProperties false is not allowed`);
  if (schema.properties !== undefined && schema.additionalProperties !== undefined) out.push(`${path}: properties and additionalProperties together`);
  if (schema.uniqueItems === true) out.push(`${path}: uniqueItems is not allowed`);
  if (schema.type === 'array' && schema.items === undefined) out.push(`${path}: array without items`);
  const props = isNode(schema.properties) ? schema.properties : {};
  for (const [k, v] of Object.entries(props)) out.push(...structuralViolations(v, `${path}.properties.${k}`));
  if (schema.items !== undefined) out.push(...structuralViolations(schema.items, `${path}.items`));
  if (isNode(schema.additionalProperties)) out.push(...structuralViolations(schema.additionalProperties, `${path}.additionalProperties`));
  const keys = schema['x-kubernetes-list-map-keys'];
  if (Array.isArray(keys) && isNode(schema.items)) {
    const req = Array.isArray(schema.items.required) ? schema.items.required : [];
    for (const k of keys) if (!req.includes(k)) out.push(`${path}: list-map key ${String(k)} must be required in items`);
  }
  return out;
}

/** Paths of the fields in `value` that the API server would prune (drop) under `schema`. */
export function prunedPaths(value: unknown, schema: unknown, path = ''): string[] {
  if (!isNode(schema) || schema['x-kubernetes-preserve-unknown-fields'] === true) return [];
  if (Array.isArray(value)) {
    return value.flatMap((v, i) => prunedPaths(v, schema.items, `${path}[${i}]`));
  }
  if (!isNode(value)) return [];
  const props = isNode(schema.properties) ? schema.properties : undefined;
  const extra = isNode(schema.additionalProperties) ? schema.additionalProperties : undefined;
  const out: string[] = [];
  for (const [k, v] of Object.entries(value)) {
    // The API server handles the root metadata itself; it is never pruned by the CRD schema.
    if (path === '' && k === 'metadata') continue;
    const child = path === '' ? k : `${path}.${k}`;
    const sub = props?.[k] ?? extra;
    if (sub === undefined) out.push(child);
    else out.push(...prunedPaths(v, sub, child));
  }
  return out;
}
