// Publishes a decision with its content-derived id as Nats-Msg-Id (a recomputed decision is
// stored once) and the expected last sequence of its subject (two replicas deciding from the
// same base cannot both append: the second gets a ConflictError and waits for the first).
import type { JetStreamClient } from '@nats-io/jetstream';
import { ConflictError, encodeEvent, makeEvent, PublishError, toConflict } from '@matrixinfer/events';

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
}

/** Appends the decision; returns its stream sequence. ConflictError when another one came first. */
export async function publishDecision(o: PublishDecisionOptions): Promise<{ seq: number; duplicate: boolean }> {
  const env = makeEvent(o.type, o.source, o.subject, o.data, { id: o.id, now: () => o.nowMs });
  try {
    const ack = await o.js.publish(o.subject, encodeEvent(env), { msgID: o.id, expect: { lastSubjectSequence: o.expectedLastSeq } });
    return { seq: ack.seq, duplicate: ack.duplicate };
  } catch (err) {
    const mapped = toConflict(err, o.subject, o.expectedLastSeq);
    if (mapped instanceof ConflictError) throw mapped;
    throw new PublishError(`cannot publish decision to ${o.subject}: ${(err as Error).message}`, { cause: err });
  }
}
