// Thin NATS edge shared by the actuator and the collector: publish one envelope on a stream
// subject, and follow a stream filter in order, knowing when the history present at start has
// been delivered (events' tailEvents does not tell; the actuator must not act on a half-read
// decision log).
import type { NatsConnection } from '@nats-io/transport-node';
import { DeliverPolicy, jetstream, type ConsumerMessages, type JetStreamClient } from '@nats-io/jetstream';
import { decodeEvent, makeEvent, publishEvent } from '@matrixinfer/events';

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
 * Follows `filter` on `stream` with an ordered consumer (no server-side state to clean up),
 * calling `onEvent` for each envelope in order. Malformed messages are passed to `onBad`.
 */
export async function followStream(
  nc: NatsConnection,
  stream: string,
  filter: string,
  startAt: StartAt,
  onEvent: (e: ReceivedEvent) => void | Promise<void>,
  onBad: (subject: string, err: unknown) => void,
): Promise<Follower> {
  const js = jetstream(nc);
  const consumer = await js.consumers.get(stream, {
    filter_subjects: filter,
    deliver_policy: startAt === 'all' ? DeliverPolicy.All : DeliverPolicy.LastPerSubject,
  });
  const info = await consumer.info();
  let markCaughtUp!: () => void;
  const caughtUp = new Promise<void>((resolve) => (markCaughtUp = resolve));
  if (info.num_pending === 0) markCaughtUp();
  const messages: ConsumerMessages = await consumer.consume();
  const done = (async () => {
    for await (const m of messages) {
      try {
        const env = decodeEvent(m.data);
        await onEvent({ type: env.type, subject: m.subject, data: env.data, pending: m.info.pending });
      } catch (err) {
        onBad(m.subject, err);
      }
      if (m.info.pending === 0) markCaughtUp();
    }
  })();
  return {
    caughtUp,
    async stop() {
      await messages.close();
      await done;
    },
  };
}
