// Tails one stream subject filter with an ordered consumer: first the last message of every
// subject (the current state, level-triggered), then every new message. An ordered consumer
// survives reconnects by resuming after the last sequence it delivered; if its iterator ends
// anyway (consumer lost, server restarted), the tail starts a new one after the last sequence
// it handled, so nothing is skipped and nothing is handled twice.
import { DeliverPolicy, type ConsumerMessages, type JetStreamClient, type JsMsg } from '@nats-io/jetstream';
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
  /** Delay before a lost consumer is re-created; default 1000 ms. */
  restartDelayMs?: number;
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
  let markCaughtUp!: () => void;
  const caughtUp = new Promise<void>((resolve) => (markCaughtUp = resolve));
  let stopped = false;
  let lastSeq = 0;
  let messages: ConsumerMessages | undefined;

  async function open(): Promise<ConsumerMessages> {
    const consumer =
      lastSeq === 0
        ? await js.consumers.get(stream, { filter_subjects: filter, deliver_policy: DeliverPolicy.LastPerSubject })
        : await js.consumers.get(stream, { filter_subjects: filter, deliver_policy: DeliverPolicy.StartSequence, opt_start_seq: lastSeq + 1 });
    // num_pending at creation counts exactly the backlog (last-per-subject at first).
    if ((await consumer.info(true)).num_pending === 0) markCaughtUp();
    return consumer.consume({ max_messages: 256 });
  }

  async function run(first: ConsumerMessages): Promise<void> {
    let current: ConsumerMessages | undefined = first;
    while (!stopped) {
      try {
        current ??= await open();
        messages = current;
        for await (const m of current) {
          if (stopped) break;
          try {
            await opts.onEvent({ envelope: decodeEvent(m.data), seq: m.seq, subject: m.subject, storedMs: storedMs(m) });
          } catch (err) {
            logger.warn('skipped a message that could not be handled', { stream, subject: m.subject, seq: m.seq, error: (err as Error).message });
          }
          lastSeq = m.seq;
          if (m.info.pending === 0) markCaughtUp();
        }
      } catch (err) {
        if (!stopped) logger.warn('stream tail failed', { stream, filter, error: (err as Error).message });
      }
      current = undefined;
      if (stopped) break;
      logger.warn('stream tail ended; resuming', { stream, filter, afterSeq: lastSeq });
      await new Promise((r) => setTimeout(r, opts.restartDelayMs ?? 1000));
    }
  }

  const loop = run(await open());
  return {
    caughtUp,
    async stop() {
      stopped = true;
      await messages?.close();
      await loop.catch(() => undefined);
      markCaughtUp();
    },
  };
}
