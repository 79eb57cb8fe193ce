// Typed errors of @matrixinfer/events. Callers branch on `code` (stable, part of the public
// interface), never on messages, which are written for people.
import { CodedError, codedError } from '@matrixinfer/schemas';

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
export class MiEventsError extends CodedError {
  override readonly name: string = 'MiEventsError';
  declare readonly code: MiEventsErrorCode;
  constructor(code: MiEventsErrorCode, message: string, options?: { cause?: unknown }) {
    super(code, message, options);
  }
}

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

/** The resource (or message) asked for does not exist. */
export const NotFoundError = codedError(MiEventsError, 'NotFoundError', ERROR_CODES.notFound);
export type NotFoundError = InstanceType<typeof NotFoundError>;

/** NATS could not be reached; the message says which URL was tried and how to fix it. */
export class NatsUnavailableError extends MiEventsError {
  override readonly name = 'NatsUnavailableError';
  readonly url: string;
  constructor(url: string, message: string, options?: { cause?: unknown }) {
    super(ERROR_CODES.natsUnavailable, message, options);
    this.url = url;
  }
}

/** Bytes on a stream are not a valid event envelope. */
export const InvalidEventError = codedError(MiEventsError, 'InvalidEventError', ERROR_CODES.invalidEvent);
export type InvalidEventError = InstanceType<typeof InvalidEventError>;

/** A resource handed to the resource log lacks what the log needs (kind, name, ...). */
export const InvalidResourceError = codedError(MiEventsError, 'InvalidResourceError', ERROR_CODES.invalidResource);
export type InvalidResourceError = InstanceType<typeof InvalidResourceError>;

/** A JetStream publish failed for a reason other than a conflict. */
export const PublishError = codedError(MiEventsError, 'PublishError', ERROR_CODES.publishFailed);
export type PublishError = InstanceType<typeof PublishError>;

/** Creating or updating a stream or bucket failed (e.g. an incompatible existing config). */
export const StreamSetupError = codedError(MiEventsError, 'StreamSetupError', ERROR_CODES.streamSetup);
export type StreamSetupError = InstanceType<typeof StreamSetupError>;

/** True when `err` is one of ours with the given code. */
export function hasCode(err: unknown, code: MiEventsErrorCode): boolean {
  return err instanceof MiEventsError && err.code === code;
}
