// Publishes a decision with its content-derived id as Nats-Msg-Id (a recomputed decision is
// stored once) and the expected last sequence of its subject (two replicas deciding from the
// same base cannot both append: the second gets a ConflictError and waits for the first).
import type { JetStreamClient } from '@nats-io/jetstream';
import type { Logger } from 'winston';
import { ConflictError, encodeEvent, makeEvent, PublishError, toConflict } from '@matrixinfer/events';
import type { ControlPlaneMetrics } from '../../observability/metrics.js';
import { countDecision } from '../../observability/record.js';

export interface PublishDecisionOptions {
  js: JetStreamClient;
  subject: string;
  type: string;
  source: string;
  id: string;
  data: unknown;
  /** Sequence of the last decision on `subject` this one follows (0: none). */
  expectedLastSeq: number;
  nowMs: number;
  /** Traceparent of the request whose event caused this decision (Envelope.traceparent). */
  traceparent?: string;
}

/** Appends the decision; returns its stream sequence. ConflictError when another one came first. */
export async function publishDecision(o: PublishDecisionOptions): Promise<{ seq: number; duplicate: boolean }> {
  const env = makeEvent(o.type, o.source, o.subject, o.data, { id: o.id, now: () => o.nowMs, traceparent: o.traceparent });
  try {
    const ack = await o.js.publish(o.subject, encodeEvent(env), { msgID: o.id, expect: { lastSubjectSequence: o.expectedLastSeq } });
    return { seq: ack.seq, duplicate: ack.duplicate };
  } catch (err) {
    const mapped = toConflict(err, o.subject, o.expectedLastSeq);
    if (mapped instanceof ConflictError) throw mapped;
    throw new PublishError(`cannot publish decision to ${o.subject}: ${(err as Error).message}`, { cause: err });
  }
}

export interface PublishNextOptions {
  js: JetStreamClient;
  /** Last decision sequence seen per subject; read for the expectation, updated on success. */
  seqs: Map<string, number>;
  logger: Logger;
  subject: string;
  type: string;
  source: string;
  id: string;
  data: unknown;
  nowMs: number;
  /** Log line of a published decision (its reason) and extra fields. */
  message: string;
  fields?: Record<string, unknown>;
  /** Undoes the caller's "already published" bookkeeping when the publish did not happen. */
  rollback(): void;
  /** Asks for the decision to be made again later (not called when another replica won). */
  retry(): void;
  /** Counts the decisions stored (duplicates excluded). */
  metrics?: ControlPlaneMetrics;
  /** Traceparent of the request whose event caused this decision. */
  traceparent?: string;
}

/**
 * The runners' publish step: appends the decision after the last one seen on its subject.
 * Returns true when it is in the stream; on a lost race (another replica decided first, its
 * decision arrives through the tail) or an I/O error it rolls back, retrying only after I/O errors.
 */
export async function publishNext(o: PublishNextOptions): Promise<boolean> {
  try {
    const { seq, duplicate } = await publishDecision({ js: o.js, subject: o.subject, type: o.type, source: o.source, id: o.id, data: o.data, expectedLastSeq: o.seqs.get(o.subject) ?? 0, nowMs: o.nowMs, traceparent: o.traceparent });
    o.seqs.set(o.subject, Math.max(o.seqs.get(o.subject) ?? 0, seq));
    if (!duplicate) countDecision(o.metrics, o.type);
    o.logger.info(o.message, { subject: o.subject, id: o.id, ...o.fields, duplicate });
    return true;
  } catch (err) {
    o.rollback();
    if (err instanceof ConflictError) {
      o.logger.debug('decision lost the race to another replica', { subject: o.subject, id: o.id });
      return false;
    }
    o.logger.warn('cannot publish decision; will retry', { subject: o.subject, id: o.id, error: (err as Error).message });
    o.retry();
    return false;
  }
}
