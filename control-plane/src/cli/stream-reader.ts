// Reads one stream for `mi events` on events' resumable tail: what is there now (the backlog,
// bounded when the read starts), then, if asked, what comes next on the same tail, so nothing
// falls between the two. Messages that are not envelopes (metric samples are published bare)
// are shown too.
import { randomUUID } from 'node:crypto';
import type { JetStreamClient, JetStreamManager } from '@nats-io/jetstream';
import { decodeEvent, parseSubject, startResumableTail, type Envelope, type TailMessage } from '@matrixinfer/events';
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

/** Opens a tail on `stream` from `sinceMs` (or the start); the backlog is what was pending at open. */
export async function openStreamRead(opts: StreamReadOptions): Promise<StreamRead> {
  // Messages in stream order (null: before sinceMs) until live() takes them one by one.
  const queued: (ShownEvent | null)[] = [];
  let onLive: ((ev: ShownEvent) => void) | undefined;
  let ended = false;
  let wake: (() => void) | undefined;
  const toShown = (m: TailMessage): ShownEvent | null => {
    if (opts.sinceMs !== undefined && m.storedMs < opts.sinceMs) return null;
    return { stream: opts.stream, seq: m.seq, subject: m.subject, storedMs: m.storedMs, envelope: envelopeOf(m, m.storedMs) };
  };
  const tail = await startResumableTail({
    js: opts.js,
    jsm: opts.jsm,
    stream: opts.stream,
    filter: opts.filter,
    from: opts.sinceMs === undefined ? 'all' : { time: opts.sinceMs },
    maxMessages: 256,
    // The server removes it if we die before deleting it.
    inactiveThresholdMs: 30_000,
    namePrefix: `mi_events_${randomUUID().replace(/-/g, '')}`,
    onMessage: (m) => {
      const ev = toShown(m);
      if (onLive) {
        if (ev) onLive(ev);
      } else queued.push(ev);
      wake?.();
    },
  });
  void tail.done.then(() => {
    ended = true;
    wake?.();
  });
  const size = tail.pendingAtStart;
  let backlogRead = false;
  return {
    async backlog() {
      while (queued.length < size && !ended) await new Promise<void>((resolve) => (wake = resolve));
      wake = undefined;
      backlogRead = true;
      return queued.splice(0, size).filter((ev): ev is ShownEvent => ev !== null);
    },
    async live(onEvent) {
      if (!backlogRead) throw new Error('live() before backlog()');
      for (const ev of queued.splice(0)) if (ev) onEvent(ev);
      onLive = onEvent;
      await tail.done;
    },
    close: () => tail.stop(),
  };
}
