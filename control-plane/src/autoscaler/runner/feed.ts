// Reads MI_METRICS into the sample book: an ordered consumer from a start time (the replay
// that rebuilds the windows after a restart), then every new sample. Payloads are decoded
// tolerantly (bare samples or envelopes). If the consumer's iterator ends (consumer lost,
// server restarted), a new one resumes after the last sequence handled.
import { DeliverPolicy, type ConsumerMessages, type JetStreamClient } from '@nats-io/jetstream';
import { STREAMS, SUBJECT_ROOT } from '@matrixinfer/events';
import type { Logger } from 'winston';
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
}

export interface MetricsFeed {
  /** Resolves once every sample stored at start (from `fromMs`) has been read. */
  readonly caughtUp: Promise<void>;
  /** Messages that were not samples (skipped). */
  skipped(): number;
  stop(): Promise<void>;
}

/** Starts reading samples; see MetricsFeed. */
export async function startMetricsFeed(opts: MetricsFeedOptions): Promise<MetricsFeed> {
  const stream = opts.stream ?? STREAMS.metrics;
  const filter = `${SUBJECT_ROOT}.metrics.>`;
  let markCaughtUp!: () => void;
  const caughtUp = new Promise<void>((resolve) => (markCaughtUp = resolve));
  let stopped = false;
  let lastSeq = 0;
  let skipped = 0;
  let messages: ConsumerMessages | undefined;

  async function open(): Promise<ConsumerMessages> {
    const consumer =
      lastSeq === 0
        ? await opts.js.consumers.get(stream, { filter_subjects: filter, deliver_policy: DeliverPolicy.StartTime, opt_start_time: new Date(opts.fromMs).toISOString() })
        : await opts.js.consumers.get(stream, { filter_subjects: filter, deliver_policy: DeliverPolicy.StartSequence, opt_start_seq: lastSeq + 1 });
    if ((await consumer.info(true)).num_pending === 0) markCaughtUp();
    return consumer.consume({ max_messages: 512 });
  }

  async function run(first: ConsumerMessages): Promise<void> {
    let current: ConsumerMessages | undefined = first;
    while (!stopped) {
      try {
        current ??= await open();
        messages = current;
        for await (const m of current) {
          if (stopped) break;
          const d = decodeSample(m.subject, m.data);
          if (d) opts.onSample(d);
          else if (skipped++ === 0) opts.logger.warn('skipping MI_METRICS messages that are not samples', { subject: m.subject, seq: m.seq });
          lastSeq = m.seq;
          if (m.info.pending === 0) markCaughtUp();
        }
      } catch (err) {
        if (!stopped) opts.logger.warn('metrics tail failed', { stream, error: (err as Error).message });
      }
      current = undefined;
      if (stopped) break;
      opts.logger.warn('metrics tail ended; resuming', { stream, afterSeq: lastSeq });
      await new Promise((r) => setTimeout(r, opts.restartDelayMs ?? 1000));
    }
  }

  const loop = run(await open());
  return {
    caughtUp,
    skipped: () => skipped,
    async stop() {
      stopped = true;
      await messages?.close();
      await loop.catch(() => undefined);
      markCaughtUp();
    },
  };
}
