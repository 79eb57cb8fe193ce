// Live consumption for controllers and projectors: a durable at-least-once consumer (ack after
// the handler succeeds, so handlers must be idempotent), a live tail of envelopes (on tail.ts), and publishing
// one envelope with Nats-Msg-Id = envelope id.
import {
  AckPolicy,
  DeliverPolicy,
  JetStreamApiCodes,
  JetStreamApiError,
  type ConsumerConfig,
  type ConsumerInfo,
  type ConsumerMessages,
  type JetStreamClient,
  type JetStreamManager,
  type JsMsg,
  type PubAck,
} from '@nats-io/jetstream';
import { nanos } from '@nats-io/transport-node';
import type { Logger } from 'winston';
import { decodeEvent, encodeEvent, type Envelope } from './envelope.js';
import { MiEventsError, PublishError, StreamSetupError } from './errors.js';
import { startPolicy, storedMsOf, type ReplayedEvent, type StreamPosition } from './replay.js';
import { startResumableTail, type TailStart } from './tail.js';
import { toConflict } from './resources.js';

/** An event delivered live: as in replay, plus how often it was delivered. */
export interface DeliveredEvent<T = unknown> extends ReplayedEvent<T> {
  /** 1 on first delivery; more after a handler failure or an ack timeout. */
  deliveryCount: number;
}

export type EventHandler<T> = (event: DeliveredEvent<T>) => void | Promise<void>;

/** A running consumer loop. */
export interface EventSubscription {
  /** Stops pulling; resolves once the loop has finished its current message. */
  stop(): Promise<void>;
  /** Resolves when the loop ends (after stop() or when the connection closes). */
  readonly done: Promise<void>;
}

export interface PublishEventOptions {
  /** Nats-Expected-Last-Subject-Sequence (0 = subject must be empty); ConflictError otherwise. */
  expectedLastSubjectSequence?: number;
  timeoutMs?: number;
}

/** Publishes an envelope with Nats-Msg-Id = envelope.id (a retry within the window is stored once). */
export async function publishEvent<T>(js: JetStreamClient, subject: string, envelope: Envelope<T>, opts: PublishEventOptions = {}): Promise<PubAck> {
  const o: Parameters<JetStreamClient['publish']>[2] = { msgID: envelope.id };
  if (opts.expectedLastSubjectSequence !== undefined) o.expect = { lastSubjectSequence: opts.expectedLastSubjectSequence };
  if (opts.timeoutMs !== undefined) o.timeout = opts.timeoutMs;
  try {
    return await js.publish(subject, encodeEvent(envelope), o);
  } catch (err) {
    const mapped = toConflict(err, subject, opts.expectedLastSubjectSequence ?? -1);
    if (mapped instanceof MiEventsError) throw mapped;
    throw new PublishError(`cannot publish ${envelope.type} to ${subject}: ${(err as Error).message}`, { cause: err });
  }
}

function decodeDelivered<T>(m: JsMsg): DeliveredEvent<T> {
  return { envelope: decodeEvent<T>(m.data), seq: m.seq, subject: m.subject, storedMs: storedMsOf(m), deliveryCount: m.info.deliveryCount };
}

export interface ConsumeDurableOptions<T> {
  js: JetStreamClient;
  jsm?: JetStreamManager;
  stream: string;
  /** Durable name: replicas sharing it share the work (each message to one of them). */
  durable: string;
  /** One subject filter (2.9 servers take only one). */
  filter?: string;
  handler: EventHandler<T>;
  logger?: Logger;
  /** Where a NEW durable starts; an existing one resumes where it was. Default: the start. */
  from?: StreamPosition | 'new';
  /** Redelivery after a handler took this long without acking; default 30 s. */
  ackWaitMs?: number;
  /** First delay before a failed message is redelivered (doubles per attempt, max 30 s); default 1 s. */
  retryDelayMs?: number;
  /** Unacked messages in flight; default 1000. Use 1 for strict per-durable order. */
  maxAckPending?: number;
}

async function ensureDurable(jsm: JetStreamManager, opts: ConsumeDurableOptions<unknown>): Promise<ConsumerInfo> {
  const filter = opts.filter !== undefined && opts.filter !== '>' ? opts.filter : undefined;
  try {
    const info = await jsm.consumers.info(opts.stream, opts.durable);
    if ((info.config.filter_subject ?? undefined) !== filter) {
      throw new StreamSetupError(
        `durable ${opts.durable} on ${opts.stream} filters ${info.config.filter_subject ?? '(all)'} but ${filter ?? '(all)'} is wanted; ` +
          `delete it (nats consumer rm ${opts.stream} ${opts.durable}) to change its filter`,
      );
    }
    return info;
  } catch (err) {
    if (!(err instanceof JetStreamApiError && err.code === JetStreamApiCodes.ConsumerNotFound)) throw err;
  }
  const cfg: Partial<ConsumerConfig> = {
    durable_name: opts.durable,
    ack_policy: AckPolicy.Explicit,
    ack_wait: nanos(opts.ackWaitMs ?? 30_000),
    max_deliver: -1,
    max_ack_pending: opts.maxAckPending ?? 1000,
    ...(opts.from === 'new' ? { deliver_policy: DeliverPolicy.New } : startPolicy(opts.from)),
  };
  if (filter !== undefined) cfg.filter_subject = filter;
  return jsm.consumers.add(opts.stream, cfg);
}

/**
 * Runs `handler` for every event of a durable consumer (created if missing), acking after it
 * succeeds; a throwing handler gets the message again later (nak with growing delay). Messages
 * that are not envelopes are logged and terminated (never redelivered).
 */
export async function consumeDurable<T = unknown>(opts: ConsumeDurableOptions<T>): Promise<EventSubscription> {
  const jsm = opts.jsm ?? (await opts.js.jetstreamManager());
  await ensureDurable(jsm, opts as ConsumeDurableOptions<unknown>);
  const consumer = await opts.js.consumers.get(opts.stream, opts.durable);
  const messages = await consumer.consume();
  const log = opts.logger?.child({ component: 'consumer', stream: opts.stream, durable: opts.durable });
  const base = opts.retryDelayMs ?? 1000;
  const done = (async () => {
    for await (const m of messages) {
      let ev: DeliveredEvent<T>;
      try {
        ev = decodeDelivered<T>(m);
      } catch (err) {
        log?.error('not an event envelope; terminating message', { seq: m.seq, subject: m.subject, error: (err as Error).message });
        // No reason argument: 2.9 servers match "+TERM" exactly and ignore "+TERM <reason>".
        m.term();
        continue;
      }
      try {
        await opts.handler(ev);
        m.ack();
      } catch (err) {
        const delay = Math.min(30_000, base * 2 ** Math.min(ev.deliveryCount - 1, 15));
        log?.warn('handler failed; will retry', { seq: m.seq, subject: m.subject, type: ev.envelope.type, deliveryCount: ev.deliveryCount, retryInMs: delay, error: (err as Error).message });
        m.nak(delay);
      }
    }
  })();
  return subscription(messages, done);
}

function subscription(messages: ConsumerMessages, done: Promise<void>): EventSubscription {
  return {
    async stop() {
      await messages.close();
      await done;
    },
    done,
  };
}

export interface TailEventsOptions<T> {
  js: JetStreamClient;
  stream: string;
  filter?: string;
  /**
   * Where to start: 'new' (default: only what comes next), 'all', 'last-per-subject' (current
   * value of every subject, then live), or a sequence/time.
   */
  from?: TailStart;
  handler: (event: ReplayedEvent<T>) => void | Promise<void>;
  logger?: Logger;
  /** Delay before a lost consumer is re-created; default 1000 ms. */
  restartDelayMs?: number;
}

/** A live tail: a subscription that also tells when the backlog present at start was handled. */
export interface TailSubscription extends EventSubscription {
  /** Resolves once the messages pending at start have been handled (never if stopped first). */
  readonly caughtUp: Promise<void>;
}

/**
 * Live tail of envelopes with the resumable ordered tail (no acks, no server state to clean up,
 * in order, resumes after the last sequence handled). For fan-out views such as a gateway's
 * engine-load table. Handler errors and non-envelope messages are logged and skipped.
 */
export async function tailEvents<T = unknown>(opts: TailEventsOptions<T>): Promise<TailSubscription> {
  const log = opts.logger?.child({ component: 'tail', stream: opts.stream });
  const tail = await startResumableTail({
    js: opts.js,
    stream: opts.stream,
    filter: opts.filter,
    from: opts.from,
    restartDelayMs: opts.restartDelayMs,
    onMessage: (m) => opts.handler({ envelope: decodeEvent<T>(m.data), seq: m.seq, subject: m.subject, storedMs: m.storedMs }),
    onError: (m, err) => log?.warn('tail handler failed; event skipped', { seq: m.seq, subject: m.subject, error: (err as Error).message }),
    onInterrupted: (i) => log?.warn('tail ended; resuming', { afterSeq: i.afterSeq, error: (i.error as Error | undefined)?.message }),
  });
  return { caughtUp: tail.caughtUp, done: tail.done, stop: () => tail.stop() };
}

/** Alias of tailEvents (the name some callers know it by). */
export const subscribeEvents = tailEvents;
