// Reads one stream for `mi events`: what is there now (the backlog, bounded when the read
// starts), then, if asked, what comes next on the same consumer, so nothing falls between the
// two. Messages that are not envelopes (metric samples are published bare) are shown too.
import { randomUUID } from 'node:crypto';
import { AckPolicy, DeliverPolicy, ReplayPolicy, type ConsumerConfig, type ConsumerMessages, type JetStreamClient, type JetStreamManager, type JsMsg } from '@nats-io/jetstream';
import { nanos } from '@nats-io/transport-node';
import { decodeEvent, parseSubject, storedMsOf, type Envelope } from '@matrixinfer/events';
import type { ShownEvent } from './event-lines.js';

/** The envelope of a message; bare JSON (a metric sample) gets one made from its subject. */
export function envelopeOf(m: { seq: number; subject: string; data: Uint8Array }, storedMs: number): Envelope {
  try {
    return decodeEvent(m.data);
  } catch {
    const p = parseSubject(m.subject);
    let data: unknown;
    try {
      data = JSON.parse(new TextDecoder().decode(m.data));
    } catch {
      data = new TextDecoder().decode(m.data);
    }
    const type = p ? `${p.stream}.${p.category}` : 'message';
    return { id: String(m.seq), type, time: new Date(storedMs).toISOString(), source: p?.category ?? 'unknown', subject: m.subject, data };
  }
}

export interface StreamReadOptions {
  js: JetStreamClient;
  jsm: JetStreamManager;
  stream: string;
  /** One subject filter inside the stream (2.9 takes one). */
  filter?: string;
  /** Only messages stored at or after this time. */
  sinceMs?: number;
}

/** An open read: the backlog, then optionally the live messages. Always close() it. */
export interface StreamRead {
  /** Messages stored when the read opened (nats-server 2.9 may start early on a future start time: filtered here). */
  backlog(): Promise<ShownEvent[]>;
  /** After backlog(): hands every new message to `onEvent` until close(). */
  live(onEvent: (ev: ShownEvent) => void): Promise<void>;
  close(): Promise<void>;
}

/** Opens an ephemeral consumer on `stream` from `sinceMs` (or the start). */
export async function openStreamRead(opts: StreamReadOptions): Promise<StreamRead> {
  const name = `mi_events_${randomUUID().replace(/-/g, '')}`;
  const cfg: Partial<ConsumerConfig> = {
    name,
    ack_policy: AckPolicy.None,
    replay_policy: ReplayPolicy.Instant,
    mem_storage: true,
    // The server removes it if we die before deleting it.
    inactive_threshold: nanos(30_000),
    deliver_policy: opts.sinceMs === undefined ? DeliverPolicy.All : DeliverPolicy.StartTime,
  };
  if (opts.sinceMs !== undefined) cfg.opt_start_time = new Date(opts.sinceMs).toISOString();
  if (opts.filter !== undefined && opts.filter !== '>') cfg.filter_subject = opts.filter;
  const info = await opts.jsm.consumers.add(opts.stream, cfg);
  let remaining = info.num_pending;
  let closed = false;
  let living = false;
  let messages: ConsumerMessages | undefined;
  let iterator: AsyncIterator<JsMsg> | undefined;
  const toShown = (m: JsMsg): ShownEvent | null => {
    const storedMs = storedMsOf(m);
    if (opts.sinceMs !== undefined && storedMs < opts.sinceMs) return null;
    return { stream: opts.stream, seq: m.seq, subject: m.subject, storedMs, envelope: envelopeOf(m, storedMs) };
  };
  const next = async (): Promise<JsMsg | null> => {
    messages ??= await (await opts.js.consumers.get(opts.stream, name)).consume({ max_messages: 256 });
    iterator ??= messages[Symbol.asyncIterator]();
    const r = await iterator.next();
    return r.done ? null : r.value;
  };
  return {
    async backlog() {
      const out: ShownEvent[] = [];
      while (remaining > 0) {
        const m = await next();
        if (m === null) break;
        remaining--;
        const ev = toShown(m);
        if (ev) out.push(ev);
      }
      return out;
    },
    async live(onEvent) {
      living = true;
      for (let m = await next(); m !== null; m = await next()) {
        const ev = toShown(m);
        if (ev) onEvent(ev);
      }
    },
    async close() {
      if (closed) return;
      closed = true;
      if (messages) {
        // close() only takes effect when the iterator reaches it in its queue: live() is
        // iterating already; otherwise drain what is buffered here.
        const done = messages.close();
        if (!living && iterator) while (!(await iterator.next()).done);
        await done;
      }
      await opts.jsm.consumers.delete(opts.stream, name).catch(() => undefined);
    },
  };
}
