// Structural-schema handling of custom resources as apiextensions-apiserver does it, pure:
// prune unknown fields (unless x-kubernetes-preserve-unknown-fields), apply defaults, and
// validate (types, required, enum, pattern, bounds, formats, list types) into field errors
// worded like kube-openapi's, so kubectl prints what a real cluster prints.
import type { StatusCause } from './status.js';
import type { Schema } from './types.js';

type Json = unknown;
type Obj = Record<string, Json>;

const isObj = (v: Json): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

const ROOT_META = new Set(['name', 'generateName', 'namespace', 'selfLink', 'uid', 'resourceVersion', 'generation', 'creationTimestamp', 'deletionTimestamp', 'deletionGracePeriodSeconds', 'labels', 'annotations', 'ownerReferences', 'finalizers', 'managedFields']);

function joinPath(base: string, key: string): string {
  return base === '' ? key : `${base}.${key}`;
}

function pruneNode(node: Json, s: Schema | undefined, path: string, out: string[]): Json {
  if (s === undefined) return node;
  if (Array.isArray(node)) {
    if (s.items) node.forEach((v, i) => (node[i] = pruneNode(v, s.items, `${path}[${i}]`, out)));
    return node;
  }
  if (!isObj(node)) return node;
  const preserve = s['x-kubernetes-preserve-unknown-fields'] === true;
  const embedded = s['x-kubernetes-embedded-resource'] === true;
  for (const k of Object.keys(node)) {
    const p = s.properties?.[k];
    if (p) node[k] = pruneNode(node[k], p, joinPath(path, k), out);
    else if (typeof s.additionalProperties === 'object') node[k] = pruneNode(node[k], s.additionalProperties, joinPath(path, k), out);
    else if (embedded && (k === 'apiVersion' || k === 'kind' || k === 'metadata')) continue;
    else if (!preserve && s.additionalProperties !== true) {
      out.push(joinPath(path, k));
      delete node[k];
    }
  }
  return node;
}

/** Drops fields the schema does not know; returns the dropped paths (`spec.fooo`). Mutates obj. */
export function prune(schema: Schema, obj: Obj): string[] {
  const out: string[] = [];
  for (const k of Object.keys(obj)) {
    if (k === 'apiVersion' || k === 'kind') continue;
    if (k === 'metadata') {
      const m = obj.metadata;
      if (isObj(m)) for (const mk of Object.keys(m)) if (!ROOT_META.has(mk)) {
        out.push(`metadata.${mk}`);
        delete m[mk];
      }
      continue;
    }
    const p = schema.properties?.[k];
    if (p) obj[k] = pruneNode(obj[k], p, k, out);
    else if (schema['x-kubernetes-preserve-unknown-fields'] !== true) {
      out.push(k);
      delete obj[k];
    }
  }
  return out;
}

function defaultNode(node: Json, s: Schema | undefined): void {
  if (s === undefined) return;
  if (Array.isArray(node)) {
    if (s.items) for (const v of node) defaultNode(v, s.items);
    return;
  }
  if (!isObj(node)) return;
  for (const [k, p] of Object.entries(s.properties ?? {})) {
    // A null in a non-nullable field with a default is defaulted, as the real server does.
    if ((node[k] === undefined || (node[k] === null && p.nullable !== true)) && p.default !== undefined) node[k] = structuredClone(p.default);
    if (node[k] !== undefined) defaultNode(node[k], p);
  }
  if (typeof s.additionalProperties === 'object') for (const k of Object.keys(node)) if (!s.properties?.[k]) defaultNode(node[k], s.additionalProperties);
}

/** Fills defaults wherever the parent exists and the field is absent. Mutates obj. */
export function applyDefaults(schema: Schema, obj: Obj): void {
  defaultNode(obj, { ...schema, properties: { ...schema.properties, metadata: {} } });
}

function typeName(v: Json): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  if (typeof v === 'number') return Number.isInteger(v) ? 'integer' : 'number';
  return typeof v;
}

function show(v: Json): string {
  if (typeof v === 'string') return JSON.stringify(v);
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  if (v === null) return 'null';
  return `"${typeName(v)}"`;
}

function typeOk(t: Schema['type'], v: Json): boolean {
  switch (t) {
    case undefined:
      return true;
    case 'object':
      return isObj(v);
    case 'array':
      return Array.isArray(v);
    case 'string':
      return typeof v === 'string';
    case 'integer':
      return typeof v === 'number' && Number.isInteger(v);
    case 'number':
      return typeof v === 'number';
    case 'boolean':
      return typeof v === 'boolean';
  }
}

const DATE_TIME = /^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/;

function formatOk(format: string, v: string): boolean {
  if (format === 'date-time') return DATE_TIME.test(v) && !Number.isNaN(Date.parse(v));
  if (format === 'date') return /^\d{4}-\d{2}-\d{2}$/.test(v);
  return true;
}

/** Validates one node; appends causes. Exported for the CEL-less parts of table tests. */
function validateNode(v: Json, s: Schema, path: string, out: StatusCause[]): void {
  const invalid = (detail: string) => out.push({ reason: 'FieldValueInvalid', message: `Invalid value: ${show(v)}: ${detail}`, field: path });
  if (v === null) {
    if (s.nullable !== true && s['x-kubernetes-preserve-unknown-fields'] !== true && s.type !== undefined) out.push({ reason: 'FieldValueTypeInvalid', message: `Invalid value: "null": ${path} in body must be of type ${s.type}: "null"`, field: path });
    return;
  }
  if (s['x-kubernetes-int-or-string']) {
    if (!(typeof v === 'string' || (typeof v === 'number' && Number.isInteger(v)))) out.push({ reason: 'FieldValueTypeInvalid', message: `Invalid value: ${show(v)}: ${path} in body must be of type integer,string: ${show(v)}`, field: path });
    return;
  }
  if (!typeOk(s.type, v)) {
    out.push({ reason: 'FieldValueTypeInvalid', message: `Invalid value: "${typeName(v)}": ${path} in body must be of type ${s.type}: "${typeName(v)}"`, field: path });
    return;
  }
  if (s.enum && !s.enum.some((e) => JSON.stringify(e) === JSON.stringify(v))) {
    out.push({ reason: 'FieldValueNotSupported', message: `Unsupported value: ${show(v)}: supported values: ${s.enum.map((e) => JSON.stringify(e)).join(', ')}`, field: path });
  }
  if (typeof v === 'string') {
    if (s.minLength !== undefined && [...v].length < s.minLength) invalid(`${path} in body should be at least ${s.minLength} chars long`);
    if (s.maxLength !== undefined && [...v].length > s.maxLength) out.push({ reason: 'FieldValueTooLong', message: `Too long: may not be more than ${s.maxLength} bytes`, field: path });
    if (s.pattern !== undefined && !new RegExp(s.pattern, 'u').test(v)) invalid(`${path} in body should match '${s.pattern}'`);
    if (s.format !== undefined && !formatOk(s.format, v)) invalid(`${path} in body must be of type ${s.format}: ${show(v)}`);
  }
  if (typeof v === 'number') {
    if (s.minimum !== undefined && (s.exclusiveMinimum ? v <= s.minimum : v < s.minimum)) invalid(`${path} in body should be greater than ${s.exclusiveMinimum ? '' : 'or equal to '}${s.minimum}`);
    if (s.maximum !== undefined && (s.exclusiveMaximum ? v >= s.maximum : v > s.maximum)) invalid(`${path} in body should be less than ${s.exclusiveMaximum ? '' : 'or equal to '}${s.maximum}`);
  }
  if (Array.isArray(v)) {
    if (s.minItems !== undefined && v.length < s.minItems) invalid(`${path} in body should have at least ${s.minItems} items`);
    if (s.maxItems !== undefined && v.length > s.maxItems) out.push({ reason: 'FieldValueTooMany', message: `Too many: ${v.length}: must have at most ${s.maxItems} items`, field: path });
    if (s.items) v.forEach((item, i) => validateNode(item, s.items!, `${path}[${i}]`, out));
    checkListType(v, s, path, out);
  }
  if (isObj(v)) {
    const n = Object.keys(v).length;
    if (s.minProperties !== undefined && n < s.minProperties) invalid(`${path} in body should have at least ${s.minProperties} properties`);
    if (s.maxProperties !== undefined && n > s.maxProperties) out.push({ reason: 'FieldValueTooMany', message: `Too many: ${n}: must have at most ${s.maxProperties} items`, field: path });
    for (const r of s.required ?? []) if (v[r] === undefined) out.push({ reason: 'FieldValueRequired', message: 'Required value', field: joinPath(path, r) });
    for (const [k, child] of Object.entries(v)) {
      const cs = s.properties?.[k] ?? (typeof s.additionalProperties === 'object' ? s.additionalProperties : undefined);
      if (cs) validateNode(child, cs, joinPath(path, k), out);
    }
  }
}

function checkListType(v: Json[], s: Schema, path: string, out: StatusCause[]): void {
  const lt = s['x-kubernetes-list-type'];
  if (lt === 'set') {
    const seen = new Set<string>();
    v.forEach((item, i) => {
      const k = JSON.stringify(item);
      if (seen.has(k)) out.push({ reason: 'FieldValueDuplicate', message: `Duplicate value: ${k}`, field: `${path}[${i}]` });
      seen.add(k);
    });
  }
  if (lt === 'map') {
    const keys = s['x-kubernetes-list-map-keys'] ?? [];
    const seen = new Set<string>();
    v.forEach((item, i) => {
      if (!isObj(item)) return;
      const key = Object.fromEntries(keys.filter((k) => item[k] !== undefined).map((k) => [k, item[k]]));
      const k = JSON.stringify(key);
      if (seen.has(k)) out.push({ reason: 'FieldValueDuplicate', message: `Duplicate value: ${k}`, field: `${path}[${i}]` });
      seen.add(k);
    });
  }
}

/** Field errors of a whole custom resource against its version's schema (metadata excluded). */
export function validate(schema: Schema, obj: Obj): StatusCause[] {
  const out: StatusCause[] = [];
  for (const r of schema.required ?? []) if (obj[r] === undefined) out.push({ reason: 'FieldValueRequired', message: 'Required value', field: r });
  for (const [k, v] of Object.entries(obj)) {
    if (k === 'metadata' || k === 'apiVersion' || k === 'kind') continue;
    const s = schema.properties?.[k];
    if (s) validateNode(v, s, k, out);
  }
  return out;
}
