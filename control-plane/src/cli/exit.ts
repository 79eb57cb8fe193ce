// Maps typed errors to what a person reads and to the process exit code. Exit codes are part of
// the CLI contract (scripts branch on them): see docs/user-guide.md.
import { InvalidResourcesError, errorCode, formatProblem } from '../api/errors.js';

/** Exit codes of `mi`. */
export const EXIT = {
  ok: 0,
  /** Invalid input: validation errors, bad arguments, unknown kind. */
  invalid: 1,
  notFound: 2,
  conflict: 3,
  natsUnavailable: 4,
  /** Anything unexpected. */
  failure: 5,
  /** A port or the data dir is taken by another process. */
  busy: 6,
} as const;

/** The exit code for an error thrown by a command. */
export function exitCodeFor(err: unknown): number {
  switch (errorCode(err)) {
    case 'MI_ERR_INVALID':
    case 'MI_ERR_INVALID_RESOURCE':
    case 'MI_ERR_BAD_ARGUMENT':
    case 'MI_ERR_UNKNOWN_KIND':
    case 'MI_ERR_API_KEYS':
      return EXIT.invalid;
    case 'MI_ERR_NOT_FOUND':
      return EXIT.notFound;
    case 'MI_ERR_CONFLICT':
    case 'MI_ERR_KUBERNETES_MODE':
      return EXIT.conflict;
    case 'MI_ERR_NATS_UNAVAILABLE':
    case 'MI_ERR_STORE_FULL':
    case 'MI_ERR_STORE_TIMEOUT':
      return EXIT.natsUnavailable;
    case 'MI_ERR_PORT_BUSY':
    case 'MI_ERR_DATA_DIR_BUSY':
      return EXIT.busy;
    default:
      return EXIT.failure;
  }
}

/** Lines to print on stderr for an error thrown by a command. */
export function describeError(err: unknown): string[] {
  if (err instanceof InvalidResourcesError) {
    return [...err.problems.map(formatProblem), `error: ${err.message}`];
  }
  const code = errorCode(err);
  const message = err instanceof Error ? err.message : String(err);
  if (code === 'MI_ERR_CONFLICT') {
    return [`error: conflict (409): ${message}`];
  }
  return [`error: ${message}`];
}
