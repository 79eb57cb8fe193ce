// Typed errors of @matrixinfer/events. Callers branch on `code` (stable, part of the public
// interface), never on messages, which are written for people.
import { CodedError, codedErrors, codedFamily } from '@matrixinfer/schemas';

/** Stable error codes of the events package. */
export const ERROR_CODES = {
  conflict: 'MI_ERR_CONFLICT',
  notFound: 'MI_ERR_NOT_FOUND',
  natsUnavailable: 'MI_ERR_NATS_UNAVAILABLE',
  invalidEvent: 'MI_ERR_INVALID_EVENT',
  invalidResource: 'MI_ERR_INVALID_RESOURCE',
  publishFailed: 'MI_ERR_PUBLISH_FAILED',
  streamSetup: 'MI_ERR_STREAM_SETUP',
} as const;

export type MiEventsErrorCode = (typeof ERROR_CODES)[keyof typeof ERROR_CODES];

/** Base of every error this package throws on purpose. */
export const MiEventsError = codedFamily(CodedError, 'MiEventsError', ERROR_CODES);

/** A write expected one revision of a subject and the log held another (409-style). */
export class ConflictError extends MiEventsError {
  override readonly name = 'ConflictError';
  /** The subject the write targeted. */
  readonly subject: string;
  /** Revision the writer expected (0 = expected absent). */
  readonly expected: number;
  /** Last sequence actually found on the subject, when known (0 = no message; a tombstone has its own sequence). */
  readonly actual?: number;

  constructor(subject: string, expected: number, actual?: number, options?: { cause?: unknown; message?: string }) {
    super(
      ERROR_CODES.conflict,
      options?.message ??
        `conflict on ${subject}: expected revision ${expected === 0 ? 'absent' : expected}` +
          (actual === undefined ? '' : `, found ${actual === 0 ? 'absent' : actual}`) +
          '; read the current version and retry',
      options,
    );
    this.subject = subject;
    this.expected = expected;
    if (actual !== undefined) this.actual = actual;
  }
}

/** The MiEventsError family, one class per stable code; `instanceof` each or branch on `code`. */
export const { NotFoundError, InvalidEventError, InvalidResourceError, PublishError, StreamSetupError } = codedErrors(MiEventsError, {
  /** The resource (or message) asked for does not exist. */
  NotFoundError: ERROR_CODES.notFound,
  /** Bytes on a stream are not a valid event envelope. */
  InvalidEventError: ERROR_CODES.invalidEvent,
  /** A resource handed to the resource log lacks what the log needs (kind, name, ...). */
  InvalidResourceError: ERROR_CODES.invalidResource,
  /** A JetStream publish failed for a reason other than a conflict. */
  PublishError: ERROR_CODES.publishFailed,
  /** Creating or updating a stream or bucket failed (e.g. an incompatible existing config). */
  StreamSetupError: ERROR_CODES.streamSetup,
});

/** NATS could not be reached; the message says which URL was tried and how to fix it. */
export class NatsUnavailableError extends MiEventsError {
  override readonly name = 'NatsUnavailableError';
  readonly url: string;
  constructor(url: string, message: string, options?: { cause?: unknown }) {
    super(ERROR_CODES.natsUnavailable, message, options);
    this.url = url;
  }
}

/** True when `err` is one of ours with the given code. */
export function hasCode(err: unknown, code: MiEventsErrorCode): boolean {
  return err instanceof MiEventsError && err.code === code;
}
