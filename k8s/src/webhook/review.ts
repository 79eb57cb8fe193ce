// Pure core of the admission webhooks: an AdmissionReview (admission.k8s.io/v1) in, the review
// with its response out. Validation and defaulting are the schemas' validateResource, the same
// code `mi apply` and the control-plane API run, so a manifest gets the same verdict and the
// same messages on every path. Denials carry Kubernetes' field-error shape (one cause per
// problem, all of them); the mutating answer is the JSON Patch that fills in the defaults.
import jsonpatch from 'fast-json-patch';
import { KINDS, updateIssues, validateResource, type ValidationIssue } from '@matrixinfer/schemas';

/** Which webhook a review came to. */
export type WebhookKind = 'validate' | 'mutate';

/** The HTTP answer to one POST: a review (200) or a bad request (400). */
export type ReviewAnswer = { status: 200; body: AdmissionReviewResponse } | { status: 400; message: string };

/** The AdmissionReview a webhook sends back. */
export interface AdmissionReviewResponse {
  apiVersion: 'admission.k8s.io/v1';
  kind: 'AdmissionReview';
  response: {
    uid: string;
    allowed: boolean;
    status?: { code: number; reason: string; message: string; details?: { name?: string; group?: string; kind?: string; causes: { field: string; reason: string; message: string }[] } };
    patch?: string;
    patchType?: 'JSONPatch';
    warnings?: string[];
  };
}

const OURS = new Map(KINDS.map((k) => [`${k.group}/${k.kind}`, k]));
/** The request fields this webhook reads, checked before use (reviews come from anyone who can reach the port). */
interface Request {
  uid: string;
  group: string;
  kind: string;
  operation: string;
  name: string;
  object?: Record<string, unknown>;
  oldObject?: Record<string, unknown>;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Deepest nesting accepted in an object (kube-apiserver itself refuses far deeper JSON; schemas recurse). */
export const MAX_DEPTH = 200;

// Iterative, so a hostile body cannot overflow the stack here either.
function tooDeep(root: unknown, limit: number): boolean {
  const stack: [unknown, number][] = [[root, 0]];
  while (stack.length > 0) {
    const [v, d] = stack.pop()!;
    if (d > limit) return true;
    if (typeof v === 'object' && v !== null) for (const c of Object.values(v)) if (typeof c === 'object' && c !== null) stack.push([c, d + 1]);
  }
  return false;
}

function readRequest(review: unknown): Request | string {
  if (!isRecord(review)) return 'the body is not a JSON object';
  if (review.apiVersion !== 'admission.k8s.io/v1' || review.kind !== 'AdmissionReview') return 'expected apiVersion admission.k8s.io/v1, kind AdmissionReview';
  const r = review.request;
  if (!isRecord(r)) return 'request is missing';
  if (typeof r.uid !== 'string' || r.uid === '') return 'request.uid must be a non-empty string';
  if (!isRecord(r.kind) || typeof r.kind.kind !== 'string' || typeof r.kind.group !== 'string') return 'request.kind must have group and kind strings';
  if (typeof r.operation !== 'string') return 'request.operation must be a string';
  if (r.object !== undefined && r.object !== null && !isRecord(r.object)) return 'request.object must be an object';
  if (r.oldObject !== undefined && r.oldObject !== null && !isRecord(r.oldObject)) return 'request.oldObject must be an object';
  if (tooDeep(r.object, MAX_DEPTH) || tooDeep(r.oldObject, MAX_DEPTH)) return `request.object is nested deeper than ${MAX_DEPTH} levels`;
  return { uid: r.uid, group: r.kind.group, kind: r.kind.kind, operation: r.operation, name: typeof r.name === 'string' ? r.name : '', object: isRecord(r.object) ? r.object : undefined, oldObject: isRecord(r.oldObject) ? r.oldObject : undefined };
}

/** `spec.backends[0].workers[1].type: must be one of …` lines as Kubernetes prints field errors. */
export function denialMessage(kind: string, group: string, name: string, issues: ValidationIssue[]): string {
  return `${kind}.${group} "${name}" is invalid: ${issues.map((i) => `${i.path}: ${i.message}`).join(', ')}`;
}

// What validation reads: the object without what the server maintains (status is written by
// the controller through its own subresource).
function admitted(o: Record<string, unknown>): Record<string, unknown> {
  const { status: _status, ...rest } = o;
  void _status;
  return rest;
}

// On UPDATE, fields that may not change are compared with the stored object (defaulted the same
// way, so a default written out is no change). A stored object that no longer validates (an
// older schema) is compared as it is.
function immutableIssues(kind: (typeof KINDS)[number]['kind'], req: Request, now: Record<string, unknown>): ValidationIssue[] {
  if (req.operation !== 'UPDATE' || req.oldObject === undefined) return [];
  const old = validateResource(admitted(req.oldObject));
  return updateIssues(kind, old.ok ? (old.resource as unknown as Record<string, unknown>) : req.oldObject, now);
}

/** Cross-resource checks of a schema-valid object, or of one being deleted (the cache-backed ones in cross.ts). */
export type CrossCheck = (kind: string, obj: Record<string, unknown>, operation: 'CREATE' | 'UPDATE' | 'DELETE') => { denials: ValidationIssue[]; warnings: string[] };

/** Answers one review for the `which` webhook (`cross`: checks across resources, validating only). */
export function answerReview(which: WebhookKind, review: unknown, cross?: CrossCheck): ReviewAnswer {
  const req = readRequest(review);
  if (typeof req === 'string') return { status: 400, message: `bad AdmissionReview: ${req}` };
  const reply = (response: Omit<AdmissionReviewResponse['response'], 'uid'>): ReviewAnswer => ({ status: 200, body: { apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview', response: { uid: req.uid, ...response } } });
  const info = OURS.get(`${req.group}/${req.kind}`);
  // A delete that would strand something (a policy still in use) is refused with who uses it.
  if (info && which === 'validate' && req.operation === 'DELETE' && req.oldObject !== undefined && cross) {
    const x = cross(info.kind, req.oldObject, 'DELETE');
    if (x.denials.length > 0) return reply({ allowed: false, status: { code: 422, reason: 'Invalid', message: `${info.kind}.${info.group} "${req.name}" cannot be deleted: ${x.denials.map((d) => d.message).join(', ')}` } });
    return reply({ allowed: true, ...(x.warnings.length > 0 ? { warnings: x.warnings } : {}) });
  }
  // Not ours, or nothing to check (DELETE/CONNECT of other kinds).
  if (!info || req.object === undefined || (req.operation !== 'CREATE' && req.operation !== 'UPDATE')) return reply({ allowed: true });
  const result = validateResource(admitted(req.object));
  if (which === 'validate') {
    const name = req.name || String((req.object.metadata as { name?: unknown } | undefined)?.name ?? '');
    const x = result.ok && cross ? cross(info.kind, req.object, req.operation as 'CREATE' | 'UPDATE') : { denials: [], warnings: [] };
    const errors = result.ok ? [...immutableIssues(info.kind, req, result.resource as unknown as Record<string, unknown>), ...x.denials] : result.errors;
    const warnings = x.warnings.length > 0 ? { warnings: x.warnings } : {};
    if (errors.length === 0) return reply({ allowed: true, ...warnings });
    return reply({
      ...warnings,
      allowed: false,
      status: {
        code: 422,
        reason: 'Invalid',
        message: denialMessage(info.kind, info.group, name, errors),
        details: { name, group: info.group, kind: info.plural, causes: errors.map((i) => ({ field: i.path, reason: 'FieldValueInvalid', message: i.message })) },
      },
    });
  }
  // Mutating: defaults only, and only under spec (metadata and status are not ours to change).
  // An invalid object gets no patch; the validating webhook explains what is wrong.
  if (!result.ok) return reply({ allowed: true });
  const before = { spec: req.object.spec ?? {} };
  const after = { spec: (result.resource as { spec?: unknown }).spec ?? {} };
  const ops = jsonpatch.compare(before, after).filter((op) => op.path.startsWith('/spec'));
  if (req.object.spec === undefined && ops.length > 0) ops.unshift({ op: 'add', path: '/spec', value: {} });
  if (ops.length === 0) return reply({ allowed: true });
  return reply({ allowed: true, patchType: 'JSONPatch', patch: Buffer.from(JSON.stringify(ops)).toString('base64') });
}
