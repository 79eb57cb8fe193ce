// The one resumable stream tail: an ordered consumer (no acks, in order, no durable state)
// from a start position, delivering raw messages to one handler, one at a time. The ordered
// consumer recreates itself after reconnects and heartbeat loss; if its iterator ends anyway
// (consumer lost, handler failure, server gone too long), a new one starts after the last
// sequence handled, so nothing is skipped and nothing is handled twice. Callers decode.
import { DeliverPolicy, type Consumer, type ConsumerMessages, type JetStreamClient, type JetStreamManager, type JsMsg, type OrderedConsumerOptions } from '@nats-io/jetstream';
import { errors } from '@nats-io/transport-node';
import { startPolicy, storedMsOf, type StreamPosition } from './replay.js';

/** One stream message as the tail hands it over (payload not decoded). */
export interface TailMessage {
  seq: number;
  subject: string;
  data: Uint8Array;
  /** Stream time of the message, epoch ms (sub-ms precision). */
  storedMs: number;
  /** Messages of the filter still to deliver after this one (0: caught up for now). */
  pending: number;
}

/** Where a tail starts: only new messages, everything, the last per subject, or a sequence/time. */
export type TailStart = 'new' | 'all' | 'last-per-subject' | StreamPosition;

/** Why a consumer iterator ended while the tail was not stopped. */
export interface TailInterruption {
  /** The tail resumes after this sequence (0: from the start position again). */
  afterSeq: number;
  /** Set when the iterator, opening a consumer, or the handler (without onError) threw. */
  error?: unknown;
}

export interface ResumableTailOptions {
  js: JetStreamClient;
  stream: string;
  /** One subject filter (2.9 servers take one); undefined or '>' for the whole stream. */
  filter?: string;
  /** Default 'new'. */
  from?: TailStart;
  /** Called in stream order; the next message waits until the returned promise settles. */
  onMessage: (m: TailMessage) => void | Promise<void>;
  /**
   * A throwing onMessage: with onError the message is reported and skipped; without it the
   * consumer is dropped and the same message comes again after the restart delay.
   */
  onError?: (m: TailMessage, err: unknown) => void;
  /** Told before each restart (for logs). Not called after stop() or once the connection is closed. */
  onInterrupted?: (i: TailInterruption) => void;
  /** Delay before a new consumer is created after an interruption; default 1000 ms. */
  restartDelayMs?: number;
  /** Pull batch size; default the client's (100). */
  maxMessages?: number;
  /** Pull expiry (heartbeats every half of it); default the client's (30 s). */
  expiresMs?: number;
  /** Server-side removal of a forgotten consumer; default the client's (5 min). */
  inactiveThresholdMs?: number;
  /** Consumer name prefix (readable in `nats consumer ls`); default random. */
  namePrefix?: string;
  /** When given, stop() deletes the server-side consumer instead of letting it expire. */
  jsm?: JetStreamManager;
}

/** A running tail. */
export interface ResumableTail {
  /** Resolves once the messages pending when the tail started have been handled. Never if stopped first. */
  readonly caughtUp: Promise<void>;
  /** Messages of the filter pending when the first consumer was created (the read-to-now backlog). */
  readonly pendingAtStart: number;
  /** Sequence of the last message handled (0: none yet). */
  lastSeq(): number;
  /** Resolves when the tail has ended: after stop(), or once the connection is closed. */
  readonly done: Promise<void>;
  /** Stops consuming; resolves once the handler in progress has returned and the loop ended. */
  stop(): Promise<void>;
}

/** Ordered consumer options for a start position and filter (2.9-safe: one filter subject). */
export function orderedStart(from: TailStart | undefined, filter: string | undefined): Partial<OrderedConsumerOptions> {
  const o: Partial<OrderedConsumerOptions> = {};
  if (from === undefined || from === 'new') o.deliver_policy = DeliverPolicy.New;
  else if (from === 'all') o.deliver_policy = DeliverPolicy.All;
  else {
    const p = startPolicy(from);
    o.deliver_policy = p.deliver_policy;
    if (p.opt_start_seq !== undefined) o.opt_start_seq = p.opt_start_seq;
    if (p.opt_start_time !== undefined) o.opt_start_time = p.opt_start_time;
  }
  // A single string, never an array: 2.9 servers refuse multiple filter subjects.
  if (filter !== undefined && filter !== '>') o.filter_subjects = filter;
  // 2.9 refuses last-per-subject without a filter subject; '>' means every subject.
  else if (from === 'last-per-subject') o.filter_subjects = '>';
  return o;
}

function toTailMessage(m: JsMsg): TailMessage {
  return { seq: m.seq, subject: m.subject, data: m.data, storedMs: storedMsOf(m), pending: m.info.pending };
}

/** Starts a resumable tail; see ResumableTail. Throws if the first consumer cannot be created. */
export async function startResumableTail(opts: ResumableTailOptions): Promise<ResumableTail> {
  let markCaughtUp!: () => void;
  const caughtUp = new Promise<void>((resolve) => (markCaughtUp = resolve));
  let stopped = false;
  let lastSeq = 0;
  // Where a restart begins when nothing was handled yet ('new' must not skip what came meanwhile).
  let resumeBase = 0;
  let consumer: Consumer | undefined;
  let messages: ConsumerMessages | undefined;
  let wake: (() => void) | undefined;
  let initialPending: number | undefined;
  let opened = 0;

  async function open(): Promise<ConsumerMessages> {
    const after = Math.max(lastSeq, resumeBase);
    const o: Partial<OrderedConsumerOptions> =
      after === 0 ? orderedStart(opts.from, opts.filter) : { ...orderedStart('all', opts.filter), deliver_policy: DeliverPolicy.StartSequence, opt_start_seq: after + 1 };
    if (opts.inactiveThresholdMs !== undefined) o.inactive_threshold = opts.inactiveThresholdMs;
    // A restart must not collide with the name of a consumer that may still exist.
    if (opts.namePrefix !== undefined) o.name_prefix = opened === 0 ? opts.namePrefix : `${opts.namePrefix}_r${opened}`;
    opened++;
    const c = await opts.js.consumers.get(opts.stream, o);
    consumer = c;
    // The creation info counts exactly the backlog of this consumer.
    const info = await c.info(true);
    if (after === 0 && (opts.from === undefined || opts.from === 'new')) resumeBase = info.delivered.stream_seq;
    initialPending ??= info.num_pending;
    if (info.num_pending === 0) markCaughtUp();
    const pull: { max_messages?: number; expires?: number } = {};
    if (opts.maxMessages !== undefined) pull.max_messages = opts.maxMessages;
    if (opts.expiresMs !== undefined) pull.expires = opts.expiresMs;
    return Object.keys(pull).length === 0 ? c.consume() : c.consume(pull);
  }

  async function handle(m: JsMsg): Promise<void> {
    const tm = toTailMessage(m);
    if (opts.onError === undefined) await opts.onMessage(tm);
    else {
      try {
        await opts.onMessage(tm);
      } catch (err) {
        opts.onError(tm, err);
      }
    }
    lastSeq = m.seq;
    if (m.info.pending === 0) markCaughtUp();
  }

  async function run(first: ConsumerMessages): Promise<void> {
    let current: ConsumerMessages | undefined = first;
    while (!stopped) {
      let error: unknown;
      try {
        current ??= await open();
        messages = current;
        if (stopped) await current.close();
        for await (const m of current) {
          if (stopped) break;
          await handle(m);
        }
      } catch (err) {
        error = err;
        // A handler failure leaves the iterator open: drop it so the restart is the only reader.
        await current?.close().catch(() => undefined);
      }
      current = undefined;
      if (stopped || error instanceof errors.ClosedConnectionError) break;
      opts.onInterrupted?.(error === undefined ? { afterSeq: lastSeq } : { afterSeq: lastSeq, error });
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, opts.restartDelayMs ?? 1000);
        wake = () => {
          clearTimeout(t);
          resolve();
        };
      });
      wake = undefined;
    }
  }

  const first = await open();
  const pendingAtStart = initialPending ?? 0;
  const done = run(first).catch(() => undefined);
  return {
    caughtUp,
    pendingAtStart,
    lastSeq: () => lastSeq,
    done,
    async stop() {
      if (stopped) return done;
      stopped = true;
      wake?.();
      await messages?.close();
      await done;
      if (opts.jsm && consumer) {
        const name = (await consumer.info(true)).name;
        await opts.jsm.consumers.delete(opts.stream, name).catch(() => undefined);
      }
    },
  };
}
