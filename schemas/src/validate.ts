// validateResource: schema validation (every error at once), defaulting and cross-field rules
// for any of the six kinds. Pure and synchronous.
import { Ajv, type ValidateFunction } from 'ajv';
import addFormatsModule from 'ajv-formats';
import { allDefinitions } from './bundle.js';
import { describeValue } from './describe.js';
import type { Resource } from './generated/types.js';
import type { ValidationIssue, ValidationResult } from './issues.js';
import { issuesFromAjv } from './messages.js';
import { KINDS, kindInfo, type KindName } from './registry.js';
import { crossFieldIssues } from './rules/index.js';
import { obj } from './rules/util.js';

// ajv-formats is CommonJS with `exports.default`; under NodeNext the default import is the module.
const addFormats = ((addFormatsModule as unknown as { default?: unknown }).default ?? addFormatsModule) as (ajv: Ajv) => Ajv;

/** Annotation keywords our schemas carry for messages and CRDs; ajv must accept, not check them. */
const ANNOTATIONS = [
  'x-message',
  'x-kubernetes-int-or-string',
  'x-kubernetes-preserve-unknown-fields',
  'x-kubernetes-list-type',
  'x-kubernetes-list-map-keys',
  'x-kubernetes-validations',
  // json-schema-to-typescript's type override (an untyped field is `unknown`, not an object).
  'tsType',
];

const BUNDLE_ID = 'https://matrixinfer.ai/schemas/v1alpha1.json';

/** A validator with its own compiled ajv schemas. */
export interface ResourceValidator {
  /** Validates and defaults one parsed document; see validateResource. */
  validate(doc: unknown): ValidationResult;
}

/**
 * A validator with its own ajv instance. Each kind's schema compiles on first use (a CLI that
 * checks only Models never pays for the other five); reuse the returned validator.
 */
export function createResourceValidator(): ResourceValidator {
  // Code optimisation makes compiling several times slower and validating barely faster.
  const ajv = new Ajv({ allErrors: true, useDefaults: true, verbose: true, strict: true, strictTypes: false, code: { optimize: false } });
  addFormats(ajv);
  ajv.addVocabulary(ANNOTATIONS);
  // One schema holding every definition, so shared parts (metadata, names, ...) compile once.
  ajv.addSchema({ $id: BUNDLE_ID, definitions: allDefinitions() });
  const schemaOf = (kind: KindName): ValidateFunction => {
    const fn = ajv.getSchema(`${BUNDLE_ID}#/definitions/${kind}`);
    if (!fn) throw new Error(`schema of ${kind} did not compile`);
    return fn;
  };
  return { validate: (doc) => validateWith(schemaOf, doc) };
}

function headerIssues(doc: Record<string, unknown>): { issues: ValidationIssue[]; kind?: KindName } {
  const issues: ValidationIssue[] = [];
  const { kind, apiVersion } = doc;
  const known = KINDS.map((k) => k.kind).join(', ');
  if (kind === undefined) issues.push({ path: 'kind', message: `is required (one of ${known})` });
  else if (typeof kind !== 'string') issues.push({ path: 'kind', message: `must be a string (got ${describeValue(kind)})` });
  const info = typeof kind === 'string' ? kindInfo(kind) : undefined;
  if (typeof kind === 'string' && !info) {
    const lower = KINDS.find((k) => k.kind.toLowerCase() === kind.toLowerCase());
    const hint = lower ? ` Did you mean "${lower.kind}"?` : '';
    issues.push({ path: 'kind', message: `is not a MatrixInfer kind (got ${describeValue(kind)}); known kinds: ${known}.${hint}` });
  }
  if (apiVersion === undefined) {
    issues.push({ path: 'apiVersion', message: info ? `is required ("${info.apiVersion}" for ${info.kind})` : 'is required' });
  } else if (info && apiVersion !== info.apiVersion) {
    issues.push({ path: 'apiVersion', message: `must be "${info.apiVersion}" for kind ${info.kind} (got ${describeValue(apiVersion)})` });
  }
  return { issues, kind: info?.kind };
}

function dedupe(issues: ValidationIssue[]): ValidationIssue[] {
  const seen = new Set<string>();
  return issues.filter((i) => {
    const key = `${i.path}\u0000${i.message}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

/** Deepest nesting validated: structuredClone and ajv recurse, and overflow the stack some thousands deep. */
export const MAX_RESOURCE_DEPTH = 200;

// Iterative, so the check itself cannot overflow the stack.
function nestedDeeperThan(root: unknown, limit: number): boolean {
  const stack: Array<[unknown, number]> = [[root, 0]];
  while (stack.length > 0) {
    const [v, d] = stack.pop()!;
    if (d > limit) return true;
    if (typeof v === 'object' && v !== null) for (const c of Object.values(v)) if (typeof c === 'object' && c !== null) stack.push([c, d + 1]);
  }
  return false;
}

function validateWith(schemaOf: (kind: KindName) => ValidateFunction, doc: unknown): ValidationResult {
  const root = obj(doc);
  if (!root) {
    return { ok: false, errors: [{ path: '', message: `must be an object with apiVersion, kind, metadata and spec (got ${describeValue(doc)})` }] };
  }
  // Found by the resource fuzz suite: a document 2,800 levels deep threw RangeError out of validateResource.
  if (nestedDeeperThan(root, MAX_RESOURCE_DEPTH)) return { ok: false, errors: [{ path: '', message: `is nested deeper than ${MAX_RESOURCE_DEPTH} levels` }] };
  const header = headerIssues(root);
  if (!header.kind) return { ok: false, errors: header.issues };
  // Defaults are written into a copy: the caller's document stays as the user wrote it.
  const copy = structuredClone(root);
  const schemaCheck = schemaOf(header.kind);
  const schemaOk = schemaCheck(copy);
  const schemaIssues = schemaOk ? [] : issuesFromAjv(schemaCheck.errors ?? [], copy);
  // apiVersion problems are already said in words by headerIssues.
  const rest = schemaIssues.filter((i) => i.path !== 'apiVersion' && i.path !== 'kind');
  const errors = dedupe([...header.issues, ...rest, ...crossFieldIssues(header.kind, copy)]);
  if (errors.length > 0) return { ok: false, errors };
  return { ok: true, resource: copy as unknown as Resource };
}

let shared: ResourceValidator | undefined;

/**
 * Validates one parsed document (any kind): every schema and cross-field error at once, each
 * with a path and a sentence; when valid, returns a defaulted copy (namespace "default", ...).
 */
export function validateResource(doc: unknown): ValidationResult {
  // Compiled lazily once per process: the schemas are constant, so sharing is safe.
  shared ??= createResourceValidator();
  return shared.validate(doc);
}
