// Tails one stream subject filter with an ordered consumer: first the last message of every
// subject (the current state, level-triggered), then every new message. An ordered consumer
// survives reconnects by resuming after the last sequence it delivered, so nothing is skipped.
import { DeliverPolicy, type JetStreamClient, type JsMsg } from '@nats-io/jetstream';
import { decodeEvent, type Envelope } from '@matrixinfer/events';
import type { Logger } from 'winston';

/** One message as the runners fold it. */
export interface TailedEvent {
  envelope: Envelope<unknown>;
  seq: number;
  subject: string;
  /** Stream time of the message, epoch ms. */
  storedMs: number;
}

export interface TailOptions {
  js: JetStreamClient;
  stream: string;
  /** One subject filter (nats-server 2.9 takes one). */
  filter: string;
  logger: Logger;
  /** Called in stream order; the next message waits until the returned promise settles. */
  onEvent: (ev: TailedEvent) => Promise<void>;
}

export interface Tail {
  /** Resolves once the last message per subject that existed at start has been handled. */
  readonly caughtUp: Promise<void>;
  /** Stops consuming; resolves when the loop has ended. */
  stop(): Promise<void>;
}

function storedMs(m: JsMsg): number {
  return Number(BigInt(m.info.timestampNanos) / 1_000_000n);
}

/** Starts tailing; see Tail. Messages that are not envelopes are logged and skipped. */
export async function startTail(opts: TailOptions): Promise<Tail> {
  const { js, stream, filter, logger } = opts;
  const consumer = await js.consumers.get(stream, { filter_subjects: filter, deliver_policy: DeliverPolicy.LastPerSubject });
  const info = await consumer.info(true);
  let markCaughtUp!: () => void;
  const caughtUp = new Promise<void>((resolve) => (markCaughtUp = resolve));
  // num_pending at creation counts exactly the last-per-subject backlog.
  if (info.num_pending === 0) markCaughtUp();
  const messages = await consumer.consume({ max_messages: 256 });
  let stopped = false;
  const loop = (async () => {
    for await (const m of messages) {
      if (stopped) break;
      try {
        const envelope = decodeEvent(m.data);
        await opts.onEvent({ envelope, seq: m.seq, subject: m.subject, storedMs: storedMs(m) });
      } catch (err) {
        logger.warn('skipped a message that could not be handled', { stream, subject: m.subject, seq: m.seq, error: (err as Error).message });
      }
      if (m.info.pending === 0) markCaughtUp();
    }
  })();
  return {
    caughtUp,
    async stop() {
      stopped = true;
      await messages.close();
      await loop.catch(() => undefined);
      markCaughtUp();
    },
  };
}
