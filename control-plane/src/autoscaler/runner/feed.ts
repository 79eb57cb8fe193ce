// Reads MI_METRICS into the sample book on events' resumable tail: from a start time (the replay
// that rebuilds the windows after a restart), then every new sample, resuming after the last
// sequence handled. Payloads are decoded tolerantly (bare samples or envelopes).
import type { JetStreamClient } from '@nats-io/jetstream';
import { STREAMS, SUBJECT_ROOT, startResumableTail } from '@matrixinfer/events';
import type { Logger } from 'winston';
import type { LagRecorder } from '../../observability/record.js';
import { decodeSample, type DecodedSample } from './decode.js';

export interface MetricsFeedOptions {
  js: JetStreamClient;
  /** First sample time to read (epoch ms). */
  fromMs: number;
  logger: Logger;
  onSample: (s: DecodedSample) => void;
  /** Delay before a lost consumer is re-created; default 1000 ms. */
  restartDelayMs?: number;
  /** Stream name; default MI_METRICS. */
  stream?: string;
  /** Records how far behind the stream head each sample was read (none: not recorded). */
  lag?: LagRecorder;
}

export interface MetricsFeed {
  /** Resolves once every sample stored at start (from `fromMs`) has been read (or at stop). */
  readonly caughtUp: Promise<void>;
  /** Messages that were not samples (skipped). */
  skipped(): number;
  stop(): Promise<void>;
}

/** Starts reading samples; see MetricsFeed. */
export async function startMetricsFeed(opts: MetricsFeedOptions): Promise<MetricsFeed> {
  const stream = opts.stream ?? STREAMS.metrics;
  let skipped = 0;
  let markStopped!: () => void;
  const stopped = new Promise<void>((resolve) => (markStopped = resolve));
  // No onError: a failing onSample drops the consumer and gets the same sample again after the delay.
  const tail = await startResumableTail({
    js: opts.js,
    stream,
    filter: `${SUBJECT_ROOT}.metrics.>`,
    from: { time: opts.fromMs },
    maxMessages: 512,
    restartDelayMs: opts.restartDelayMs,
    onMessage: (m) => {
      const d = decodeSample(m.subject, m.data);
      if (d) opts.onSample(d);
      else if (skipped++ === 0) opts.logger.warn('skipping MI_METRICS messages that are not samples', { subject: m.subject, seq: m.seq });
      opts.lag?.(m.pending, m.storedMs);
    },
    onInterrupted: (i) => {
      if (i.error !== undefined) opts.logger.warn('metrics tail failed', { stream, error: (i.error as Error).message });
      opts.logger.warn('metrics tail ended; resuming', { stream, afterSeq: i.afterSeq });
    },
  });
  return {
    caughtUp: Promise.race([tail.caughtUp, stopped]),
    skipped: () => skipped,
    async stop() {
      await tail.stop();
      markStopped();
    },
  };
}
