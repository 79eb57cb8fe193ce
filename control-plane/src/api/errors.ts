// Typed errors of the submission path (HTTP API and `mi` CLI). Callers branch on `code`; the
// HTTP layer maps codes to status codes and the CLI maps them to exit codes.

import { ControlPlaneError } from '../errors.js';

/** One validation problem of one submitted document. */
export interface SubmitProblem {
  /** File name, `-` for stdin, or `request` for an HTTP body. */
  source: string;
  /** 0-based document number inside the source (as the schemas' formatter counts). */
  index: number;
  kind?: string;
  name?: string;
  /** JSON path inside the document, e.g. `spec.backends[0].minReplicas`; empty for the document. */
  path: string;
  message: string;
}

/** Base of every error of this area. */
export class SubmitError extends ControlPlaneError {
  override name = 'SubmitError';
}

/** Some documents are invalid: nothing was submitted. */
export class InvalidResourcesError extends SubmitError {
  readonly problems: SubmitProblem[];
  constructor(problems: SubmitProblem[]) {
    super('MI_ERR_INVALID', `${problems.length} validation error(s); nothing was submitted`);
    this.name = 'InvalidResourcesError';
    this.problems = problems;
  }
}

/** The named resource does not exist (or is deleted). */
export class NotFoundError extends SubmitError {
  constructor(kind: string, namespace: string, name: string) {
    super('MI_ERR_NOT_FOUND', `${kind.toLowerCase()}/${name} not found in namespace ${namespace}`);
    this.name = 'NotFoundError';
  }
}

/** A command-line or request argument is malformed (bad duration, bad time, bad output format). */
export class BadArgumentError extends SubmitError {
  constructor(message: string) {
    super('MI_ERR_BAD_ARGUMENT', message);
    this.name = 'BadArgumentError';
  }
}

/** Reads `code` of any error-like value (ours or another package's typed error). */
export function errorCode(err: unknown): string | undefined {
  if (err && typeof err === 'object' && 'code' in err && typeof (err as { code: unknown }).code === 'string') {
    return (err as { code: string }).code;
  }
  return undefined;
}

/** `source#index Kind/name: path: message`, the one-line form of a problem (as schemas' formatValidation). */
export function formatProblem(p: SubmitProblem): string {
  const who = `${p.kind || '<no kind>'}/${p.name || '<no name>'}`;
  return `${p.source}#${p.index} ${who}: ${p.path === '' ? '<document>' : p.path}: ${p.message}`;
}
