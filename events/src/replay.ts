// Replay: fold a stream's envelopes in order, from the start, a sequence or a time, up to a
// sequence, a time, or the stream's end at call time. Always terminates (also on an empty
// stream or a filter that matches nothing): the end is fixed when the replay starts.
import { randomUUID } from 'node:crypto';
import { AckPolicy, DeliverPolicy, ReplayPolicy, type ConsumerConfig, type JetStreamClient, type JetStreamManager, type JsMsg } from '@nats-io/jetstream';
import { nanos } from '@nats-io/transport-node';
import { decodeEvent, type Envelope } from './envelope.js';
import { InvalidEventError } from './errors.js';
import { STREAMS } from './names.js';
import { RESOURCE_APPLIED, RESOURCE_DELETED, compareResources, resourceKey, type StoredResource } from './resource-meta.js';

/** A position in a stream: a sequence, or a time (Date, ISO string or epoch ms). */
export type StreamPosition = { seq: number } | { time: Date | string | number };

/** One event as replay hands it to a fold: the envelope plus where and when the stream stored it. */
export interface ReplayedEvent<T = unknown> {
  envelope: Envelope<T>;
  /** Stream sequence. */
  seq: number;
  subject: string;
  /** Time the stream stored the message, epoch ms (fractional: sub-ms precision kept). */
  storedMs: number;
}

export interface ReplayOptions<S, T = unknown> {
  js: JetStreamClient;
  /** Defaults to `js.jetstreamManager()`. */
  jsm?: JetStreamManager;
  stream: string;
  /** One subject filter (wildcards allowed); 2.9 servers take only one. Default: all. */
  filter?: string;
  /**
   * First position to include; default the start of the stream. 'last-per-subject' folds only
   * the newest message of each subject (current state; cannot be combined with `until`).
   */
  from?: StreamPosition | 'last-per-subject';
  /** Last position to include (inclusive); default the stream's end when the replay starts. */
  until?: StreamPosition;
  fold: (state: S, event: ReplayedEvent<T>) => S;
  initial: S;
  /** Skip messages that are not envelopes instead of throwing InvalidEventError. */
  skipInvalid?: boolean;
}

export interface ReplayResult<S> {
  state: S;
  /** Sequence of the last folded event (0 when none): resume a live tail after it. */
  lastSeq: number;
  /** Events folded. */
  count: number;
}

function timeMs(t: Date | string | number): number {
  if (t instanceof Date) return t.getTime();
  if (typeof t === 'number') return t;
  const ms = Date.parse(t);
  if (Number.isNaN(ms)) throw new TypeError(`not a time: ${JSON.stringify(t)}`);
  return ms;
}

/** Consumer start options for a position (exported for the live-tail helper). */
export function startPolicy(from: StreamPosition | 'last-per-subject' | undefined): Pick<ConsumerConfig, 'deliver_policy' | 'opt_start_seq' | 'opt_start_time'> {
  if (from === undefined) return { deliver_policy: DeliverPolicy.All };
  if (from === 'last-per-subject') return { deliver_policy: DeliverPolicy.LastPerSubject };
  if ('seq' in from) return { deliver_policy: DeliverPolicy.StartSequence, opt_start_seq: Math.max(1, from.seq) };
  return { deliver_policy: DeliverPolicy.StartTime, opt_start_time: new Date(timeMs(from.time)).toISOString() };
}

/** Stored time of a message in epoch ms, keeping sub-millisecond precision. */
export function storedMsOf(m: JsMsg): number {
  const ns = m.info.timestampNanos;
  return Number(BigInt(ns) / 1000n) / 1000;
}

/** True when the message lies past `until` (inclusive bound). */
function pastUntil(seq: number, storedMs: number, until: StreamPosition | undefined): boolean {
  if (until === undefined) return false;
  if ('seq' in until) return seq > until.seq;
  return storedMs > timeMs(until.time);
}

/** Folds the stream's envelopes in order between `from` and `until`; see ReplayOptions. */
export async function replay<S, T = unknown>(opts: ReplayOptions<S, T>): Promise<ReplayResult<S>> {
  if (opts.from === 'last-per-subject' && opts.until !== undefined) {
    throw new TypeError("replay: from 'last-per-subject' cannot be combined with until (it is the state now, not at a time)");
  }
  const jsm = opts.jsm ?? (await opts.js.jetstreamManager());
  const name = `mi_replay_${randomUUID().replace(/-/g, '')}`;
  const cfg: Partial<ConsumerConfig> = {
    name,
    ack_policy: AckPolicy.None,
    replay_policy: ReplayPolicy.Instant,
    mem_storage: true,
    // Cleaned up by the server if we die before deleting it.
    inactive_threshold: nanos(30_000),
    ...startPolicy(opts.from),
  };
  if (opts.filter !== undefined && opts.filter !== '>') cfg.filter_subject = opts.filter;
  // 2.9 refuses last-per-subject without a filter subject; '>' means every subject.
  else if (opts.from === 'last-per-subject') cfg.filter_subject = '>';
  const info = await jsm.consumers.add(opts.stream, cfg);
  // The end is fixed now: messages published after this are not part of this replay.
  let remaining = info.num_pending;
  let state = opts.initial;
  let lastSeq = 0;
  let count = 0;
  try {
    if (remaining === 0) return { state, lastSeq, count };
    const consumer = await opts.js.consumers.get(opts.stream, name);
    const messages = await consumer.consume({ max_messages: Math.min(remaining, 256) });
    try {
      for await (const m of messages) {
        remaining--;
        const storedMs = storedMsOf(m);
        if (pastUntil(m.seq, storedMs, opts.until)) break;
        let envelope: Envelope<T> | null = null;
        try {
          envelope = decodeEvent<T>(m.data);
        } catch (err) {
          if (!opts.skipInvalid) throw new InvalidEventError(`stream ${opts.stream} seq ${m.seq} (${m.subject}): ${(err as Error).message}`, { cause: err });
        }
        if (envelope !== null) {
          state = opts.fold(state, { envelope, seq: m.seq, subject: m.subject, storedMs });
          lastSeq = m.seq;
          count++;
        }
        if (remaining <= 0) break;
      }
    } finally {
      await messages.close();
    }
  } finally {
    await jsm.consumers.delete(opts.stream, name).catch(() => undefined);
  }
  return { state, lastSeq, count };
}

/** Desired state as a map `kind/namespace/name` -> resource, or null once deleted. */
export type ResourceMap = Map<string, StoredResource | null>;

/** What one MI_DESIRED event says about one resource. */
export interface ResourceChange {
  /** `kind/namespace/name`. */
  key: string;
  kind: string;
  namespace: string;
  name: string;
  /** The version now live (resourceVersion = the event's sequence), or null when deleted. */
  resource: StoredResource | null;
  /** For a delete: the version that was deleted. */
  deleted?: StoredResource;
}

/** Decodes a resource event (as replay or consumers deliver it); null for other event types. */
export function resourceChange(ev: ReplayedEvent<StoredResource>): ResourceChange | null {
  const { envelope, seq } = ev;
  if (envelope.type !== RESOURCE_APPLIED && envelope.type !== RESOURCE_DELETED) return null;
  const r = envelope.data;
  const { kind } = r;
  const { namespace, name } = r.metadata;
  const base = { key: resourceKey(kind, namespace, name), kind, namespace, name };
  if (envelope.type === RESOURCE_DELETED) return { ...base, resource: null, deleted: r };
  return { ...base, resource: { ...r, metadata: { ...r.metadata, resourceVersion: String(seq) } } };
}

/** Pure fold step for MI_DESIRED: applies one resource event to the map (other types ignored). */
export function foldResourceEvent(state: ResourceMap, ev: ReplayedEvent<StoredResource>): ResourceMap {
  const change = resourceChange(ev);
  if (change !== null) state.set(change.key, change.resource);
  return state;
}

/** Live resources of a map, in list() order. */
export function liveResources(state: ResourceMap): StoredResource[] {
  return [...state.values()].filter((r): r is StoredResource => r !== null).sort(compareResources);
}

export interface FoldResourcesOptions {
  js: JetStreamClient;
  jsm?: JetStreamManager;
  /** Default MI_DESIRED. */
  stream?: string;
  /** Default every resource; e.g. `mi.desired.model.>`. */
  filter?: string;
  /** State as of this time (inclusive) or sequence; default now. */
  until?: StreamPosition;
}

/** The desired-state map as it was at `until`, rebuilt from the resource log. */
export async function foldResources(opts: FoldResourcesOptions): Promise<ReplayResult<ResourceMap>> {
  const r: ReplayOptions<ResourceMap, StoredResource> = {
    js: opts.js,
    stream: opts.stream ?? STREAMS.desired,
    fold: foldResourceEvent,
    initial: new Map(),
  };
  if (opts.jsm) r.jsm = opts.jsm;
  if (opts.filter) r.filter = opts.filter;
  if (opts.until) r.until = opts.until;
  return replay(r);
}
