// Tails one stream subject filter for the runners: first the last message of every subject (the
// current state, level-triggered), then every new message, on events' resumable tail (resumes
// after the last sequence handled, so nothing is skipped and nothing is handled twice).
import type { JetStreamClient } from '@nats-io/jetstream';
import { decodeEvent, startResumableTail, type Envelope } from '@matrixinfer/events';
import type { Logger } from 'winston';
import type { ControlPlaneMetrics } from '../../observability/metrics.js';
import { lagRecorder } from '../../observability/record.js';

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
  /** Where the lag behind the stream head is recorded (none: not recorded). */
  metrics?: ControlPlaneMetrics;
  /** The lag's consumer label, `<component>:<filter>`; default the filter. */
  consumer?: string;
}

export interface Tail {
  /** Resolves once the last message per subject that existed at start has been handled (or at stop). */
  readonly caughtUp: Promise<void>;
  /** Stops consuming; resolves when the loop has ended. */
  stop(): Promise<void>;
}

/** Starts tailing; see Tail. Messages that are not envelopes are logged and skipped. */
export async function startTail(opts: TailOptions): Promise<Tail> {
  const { stream, filter, logger } = opts;
  let markStopped!: () => void;
  const stopped = new Promise<void>((resolve) => (markStopped = resolve));
  const lag = lagRecorder(opts.metrics, opts.consumer ?? filter);
  const tail = await startResumableTail({
    js: opts.js,
    stream,
    filter,
    from: 'last-per-subject',
    maxMessages: 256,
    restartDelayMs: opts.restartDelayMs,
    // Runners fold whole milliseconds.
    onMessage: async (m) => {
      await opts.onEvent({ envelope: decodeEvent(m.data), seq: m.seq, subject: m.subject, storedMs: Math.floor(m.storedMs) });
      lag(m.pending, m.storedMs);
    },
    onError: (m, err) => logger.warn('skipped a message that could not be handled', { stream, subject: m.subject, seq: m.seq, error: (err as Error).message }),
    onInterrupted: (i) => {
      if (i.error !== undefined) logger.warn('stream tail failed', { stream, filter, error: (i.error as Error).message });
      logger.warn('stream tail ended; resuming', { stream, filter, afterSeq: i.afterSeq });
    },
  });
  return {
    // Whoever waits for the start must not hang on a tail stopped before it caught up.
    caughtUp: Promise.race([tail.caughtUp, stopped]),
    async stop() {
      await tail.stop();
      markStopped();
    },
  };
}
