// Kubernetes Status objects, worded as kube-apiserver words them (k8s.io/apimachinery
// api/errors), because kubectl prints `Error from server (<reason>): <message>` and Invalid
// errors from details.causes.
import { ApiStatusError } from './errors.js';
import type { Status, StatusCause } from './status-types.js';

export type { Status, StatusCause } from './status-types.js';

/** Who an error is about: group and resource (plural) or kind. */
export interface Subject {
  group: string;
  /** Plural for most errors, Kind for Invalid. */
  kind: string;
  name?: string;
}

function status(code: number, reason: string, message: string, s?: Subject, causes?: StatusCause[]): Status {
  const details = s ? { name: s.name, ...(s.group ? { group: s.group } : {}), kind: s.kind, ...(causes ? { causes } : {}) } : causes ? { causes } : undefined;
  return { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason, ...(details ? { details } : {}), code };
}

const qualified = (s: Subject) => (s.group ? `${s.kind}.${s.group}` : s.kind);

/** The Status refusals of the server, each thrown as an ApiStatusError. */
export const fail = {
  notFound: (s: Subject) => new ApiStatusError(status(404, 'NotFound', `${qualified(s)} "${s.name}" not found`, s)),
  alreadyExists: (s: Subject) => new ApiStatusError(status(409, 'AlreadyExists', `${qualified(s)} "${s.name}" already exists`, s)),
  conflict: (s: Subject, why: string) => new ApiStatusError(status(409, 'Conflict', `Operation cannot be fulfilled on ${qualified(s)} "${s.name}": ${why}`, s)),
  /** The usual optimistic-concurrency 409. */
  modified: (s: Subject) => fail.conflict(s, 'the object has been modified; please apply your changes to the latest version and try again'),
  /** Server-side apply conflicts with other field managers. */
  applyConflict: (s: Subject, conflicts: { manager: string; apiVersion: string; field: string }[]) => {
    const causes = conflicts.map((c) => ({ reason: 'FieldManagerConflict', message: `conflict with "${c.manager}" using ${c.apiVersion}`, field: c.field }));
    const head = conflicts.length === 1 ? 'Apply failed with 1 conflict' : `Apply failed with ${conflicts.length} conflicts`;
    const body = conflicts.map((c) => `conflict with "${c.manager}" using ${c.apiVersion}: ${c.field}`).join('\n');
    return new ApiStatusError(status(409, 'Conflict', `${head}: ${body}`, s, causes));
  },
  /** 422; s.kind is the Kind (`Model`), the message lists every cause. */
  invalid: (s: Subject, causes: StatusCause[]) => {
    const list = causes.map((c) => (c.field ? `${c.field}: ${c.message}` : c.message));
    const msg = `${qualified(s)} "${s.name}" is invalid: ${list.length === 1 ? list[0] : `[${list.join(', ')}]`}`;
    return new ApiStatusError(status(422, 'Invalid', msg, s, causes));
  },
  badRequest: (message: string) => new ApiStatusError(status(400, 'BadRequest', message)),
  methodNotAllowed: (message = 'the server does not allow this method on the requested resource') => new ApiStatusError(status(405, 'MethodNotAllowed', message)),
  notAcceptable: (message: string) => new ApiStatusError(status(406, 'NotAcceptable', message)),
  unsupportedMediaType: (contentType: string) => new ApiStatusError(status(415, 'UnsupportedMediaType', `the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml, application/strategic-merge-patch+json (got ${contentType})`)),
  gone: (message: string) => new ApiStatusError(status(410, 'Expired', message)),
  /** A page not found under a path the server does not serve. */
  noRoute: () => new ApiStatusError(status(404, 'NotFound', 'the server could not find the requested resource')),
  /** An admission denial as the webhook answered it (codes under 400 become 400, as the real server does). */
  admission: (code: number | undefined, reason: string | undefined, message: string) => new ApiStatusError(status(code !== undefined && code >= 400 ? code : 400, reason ?? '', message)),
  internal: (message: string) => new ApiStatusError(status(500, 'InternalError', `Internal error occurred: ${message}`)),
};

/** A Status of success (DELETE of a collection, some delete answers). */
export function success(s?: Subject): Status {
  return { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success', message: '', reason: '', ...(s ? { details: { name: s.name, group: s.group || undefined, kind: s.kind } } : {}), code: 200 };
}
