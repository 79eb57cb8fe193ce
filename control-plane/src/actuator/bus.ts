// Thin NATS edge shared by the actuator and the collector: publish one envelope on a stream
// subject, and follow a stream filter in order, knowing when the history present at start has
// been delivered (the actuator must not act on a half-read decision log).
import type { NatsConnection } from '@nats-io/transport-node';
import { jetstream, type JetStreamClient } from '@nats-io/jetstream';
import { decodeEvent, makeEvent, publishEvent, startResumableTail } from '@matrixinfer/events';
import type { LagRecorder } from '../observability/record.js';

/** A decoded envelope as received. */
export interface ReceivedEvent {
  type: string;
  subject: string;
  data: unknown;
  /** Messages of the filter still to deliver after this one (0: caught up). */
  pending: number;
}

/** Publishes `{ id, type, time, source, subject, data }` on `subject` with Nats-Msg-Id = id. */
export async function publishEnvelope(js: JetStreamClient, type: string, source: string, subject: string, data: unknown, nowMs: number): Promise<void> {
  await publishEvent(js, subject, makeEvent(type, source, subject, data, { now: () => nowMs }));
}

/** Where a follower starts. */
export type StartAt = 'all' | 'last-per-subject';

/** A running follower: `caughtUp` resolves once the history present at start was delivered. */
export interface Follower {
  caughtUp: Promise<void>;
  stop(): Promise<void>;
}

/**
 * Follows `filter` on `stream` with events' resumable ordered tail (no server-side state to
 * clean up; resumes after the last sequence delivered), calling `onEvent` for each envelope in
 * order. Malformed messages and handler failures are passed to `onBad` and skipped; `lag`
 * records how far behind the stream head each handled message was.
 */
export async function followStream(
  nc: NatsConnection,
  stream: string,
  filter: string,
  startAt: StartAt,
  onEvent: (e: ReceivedEvent) => void | Promise<void>,
  onBad: (subject: string, err: unknown) => void,
  lag?: LagRecorder,
): Promise<Follower> {
  const tail = await startResumableTail({
    js: jetstream(nc),
    stream,
    filter,
    from: startAt,
    onMessage: async (m) => {
      const env = decodeEvent(m.data);
      await onEvent({ type: env.type, subject: m.subject, data: env.data, pending: m.pending });
      lag?.(m.pending, m.storedMs);
    },
    onError: (m, err) => onBad(m.subject, err),
  });
  return { caughtUp: tail.caughtUp, stop: () => tail.stop() };
}
