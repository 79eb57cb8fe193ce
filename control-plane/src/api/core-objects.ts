// Kubernetes core objects in MatrixInfer manifests, on one machine: Secret and ConfigMap are
// validated and kept (their values feed env valueFrom/envFrom); every other core kind
// (Deployment, Service, ...) is recognised so `mi apply` can skip it with a warning.
// Pure: parsing, validation, hashing. Storage is in core-store.ts.
import { createHash } from 'node:crypto';
import { DEFAULT_NAMESPACE } from '@matrixinfer/events';
import { closest, DNS_LABEL_PATTERN, KINDS } from '@matrixinfer/schemas';

/** The core kinds `mi apply` stores. */
export type CoreKind = 'Secret' | 'ConfigMap';

/** A stored Secret or ConfigMap: values decoded to text, and a hash that stands for them in logs. */
export interface CoreObject {
  kind: CoreKind;
  namespace: string;
  name: string;
  /** Key to value (Secret data decoded from base64, stringData merged over it). */
  data: Record<string, string>;
  /** ConfigMap binaryData, still base64 (never used as environment). */
  binaryData?: Record<string, string>;
  /** Secret type, e.g. "Opaque". */
  type?: string;
  /** `sha256:<hex>` of kind and contents: what logs and outputs show instead of values. */
  sha256: string;
}

/** What a document is, for `mi apply`. */
export type CoreDocument =
  | { type: 'stored'; kind: CoreKind }
  | { type: 'skipped'; apiVersion: string; kind: string; name: string }
  | { type: 'matrixinfer' };

/** One problem of a core document, at a path (as schema issues are). */
export interface CoreIssue {
  path: string;
  message: string;
}

const SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const LABEL = new RegExp(DNS_LABEL_PATTERN);
const DATA_KEY = /^[-._a-zA-Z0-9]+$/;
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;
const FIELDS: Record<CoreKind, string[]> = {
  Secret: ['apiVersion', 'kind', 'metadata', 'data', 'stringData', 'type', 'immutable'],
  ConfigMap: ['apiVersion', 'kind', 'metadata', 'data', 'binaryData', 'immutable'],
};
const OUR_KINDS = new Set<string>(KINDS.map((k) => k.kind));

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => v !== null && typeof v === 'object' && !Array.isArray(v);

/**
 * Classifies a parsed document: a Secret/ConfigMap to store, another Kubernetes kind to skip
 * (an apiVersion outside *.matrixinfer.ai and not one of our kinds), or ours (validated by schemas).
 */
export function classifyDocument(doc: unknown): CoreDocument {
  if (!isObj(doc) || typeof doc.apiVersion !== 'string' || typeof doc.kind !== 'string') return { type: 'matrixinfer' };
  const { apiVersion, kind } = doc;
  if (OUR_KINDS.has(kind) || /(^|\.)matrixinfer\.ai\//.test(apiVersion)) return { type: 'matrixinfer' };
  if (apiVersion === 'v1' && (kind === 'Secret' || kind === 'ConfigMap')) return { type: 'stored', kind };
  const meta = isObj(doc.metadata) ? doc.metadata : {};
  return { type: 'skipped', apiVersion, kind, name: typeof meta.name === 'string' ? meta.name : '<no name>' };
}

/** The one warning line for a skipped document. */
export function skipWarning(d: { apiVersion: string; kind: string; name: string }): string {
  return `skipped ${d.apiVersion} ${d.kind} ${d.name}: not a MatrixInfer kind; use kubectl for core kinds`;
}

/** `sha256:<hex>` of an object's kind and contents, independent of key order. */
export function contentHash(kind: CoreKind, data: Record<string, string>, binaryData?: Record<string, string>): string {
  const sorted = (m: Record<string, string> | undefined) => Object.fromEntries(Object.entries(m ?? {}).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
  const text = JSON.stringify([kind, sorted(data), sorted(binaryData)]);
  return `sha256:${createHash('sha256').update(text).digest('hex')}`;
}

function stringMap(v: unknown, path: string, issues: CoreIssue[], base64: boolean): Record<string, string> {
  if (v === undefined) return {};
  if (!isObj(v)) {
    issues.push({ path, message: 'must be a map of keys to strings' });
    return {};
  }
  const out: Record<string, string> = {};
  for (const [k, value] of Object.entries(v)) {
    const at = `${path}[${JSON.stringify(k)}]`;
    if (!DATA_KEY.test(k)) issues.push({ path: at, message: 'key must consist of letters, digits, "-", "_" or "."' });
    else if (typeof value !== 'string') issues.push({ path: at, message: `must be a string (got ${value === null ? 'null' : typeof value})` });
    else if (base64 && (value.replace(/\s/g, '').length % 4 !== 0 || !BASE64.test(value.replace(/\s/g, '')))) {
      issues.push({ path: at, message: 'must be base64 (use stringData for plain text)' });
    } else out[k] = value;
  }
  return out;
}

/**
 * Validates a Secret or ConfigMap document (`namespace`: the -n flag, used when the document
 * names none). Returns the object to store, or every issue; values never appear in issues.
 */
export function parseCoreObject(kind: CoreKind, doc: Obj, namespace?: string): { object: CoreObject } | { issues: CoreIssue[] } {
  const issues: CoreIssue[] = [];
  for (const k of Object.keys(doc)) {
    if (FIELDS[kind].includes(k)) continue;
    const guess = closest(k, FIELDS[kind]);
    issues.push({ path: k, message: `is not a known field of a ${kind}${guess ? ` (did you mean "${guess}"?)` : ''}` });
  }
  const meta = isObj(doc.metadata) ? doc.metadata : undefined;
  if (!meta) issues.push({ path: 'metadata', message: 'is required (with a name)' });
  const name = meta?.name;
  if (meta && (typeof name !== 'string' || name.length > 253 || !SUBDOMAIN.test(name))) {
    issues.push({ path: 'metadata.name', message: 'must be a DNS-1123 subdomain: lower-case letters, digits, "-" and "." (at most 253 characters)' });
  }
  const ns = typeof meta?.namespace === 'string' ? meta.namespace : (namespace ?? DEFAULT_NAMESPACE);
  if (!LABEL.test(ns) || ns.length > 63) issues.push({ path: 'metadata.namespace', message: 'must be a DNS-1123 label' });
  const data: Record<string, string> = {};
  let binaryData: Record<string, string> | undefined;
  if (kind === 'Secret') {
    for (const [k, v] of Object.entries(stringMap(doc.data, 'data', issues, true))) data[k] = Buffer.from(v, 'base64').toString('utf8');
    // As in Kubernetes: stringData is write-only plain text and wins over data.
    Object.assign(data, stringMap(doc.stringData, 'stringData', issues, false));
    if (doc.type !== undefined && typeof doc.type !== 'string') issues.push({ path: 'type', message: 'must be a string' });
  } else {
    Object.assign(data, stringMap(doc.data, 'data', issues, false));
    const bin = stringMap(doc.binaryData, 'binaryData', issues, true);
    if (Object.keys(bin).length > 0) binaryData = bin;
    for (const k of Object.keys(bin)) if (k in data) issues.push({ path: `binaryData[${JSON.stringify(k)}]`, message: 'is also a key of data' });
  }
  if (issues.length > 0) return { issues };
  const object: CoreObject = { kind, namespace: ns, name: name as string, data, sha256: contentHash(kind, data, binaryData) };
  if (binaryData) object.binaryData = binaryData;
  if (typeof doc.type === 'string') object.type = doc.type;
  return { object };
}
