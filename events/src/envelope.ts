// The event envelope carried by every message on the MatrixInfer streams:
// `{ id, type, time, source, subject, data }`. `id` doubles as `Nats-Msg-Id`, so a retried
// publish of the same envelope is stored once.
import { randomUUID } from 'node:crypto';
import { InvalidEventError } from './errors.js';

/** An event of type `type` about `subject`, produced by `source`, carrying `data`. */
export interface Envelope<T = unknown> {
  /** Unique id; also the `Nats-Msg-Id` (dedup key) of the message. */
  id: string;
  /** Dotted event type, e.g. `resource.applied`, `resource.deleted`, `workload.instances`. */
  type: string;
  /** ISO-8601 time the event was made. */
  time: string;
  /** Who produced it, e.g. `mi-cli`, `controller/infer`, `gateway/gw-1`. */
  source: string;
  /** NATS subject the event is about (the one it is published on). */
  subject: string;
  data: T;
  /**
   * W3C traceparent of the request that caused this event, when there was one (an `mi apply`,
   * a traced gateway request). Optional and additive: older events have none, replay ignores it.
   */
  traceparent?: string;
}

export interface MakeEventOptions {
  /** Deterministic id (content-derived); a random UUID when omitted. */
  id?: string;
  /** Clock in epoch ms; `Date.now` when omitted. */
  now?: () => number;
  /** The causing request's traceparent (Envelope.traceparent); omitted when undefined. */
  traceparent?: string;
}

/** Builds an envelope; time comes from `opts.now`, id from `opts.id` or a random UUID. */
export function makeEvent<T>(type: string, source: string, subject: string, data: T, opts: MakeEventOptions = {}): Envelope<T> {
  const nowMs = (opts.now ?? Date.now)();
  const e: Envelope<T> = { id: opts.id ?? randomUUID(), type, time: new Date(nowMs).toISOString(), source, subject, data };
  if (opts.traceparent !== undefined) e.traceparent = opts.traceparent;
  return e;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** Serializes an envelope to JSON bytes. */
export function encodeEvent<T>(event: Envelope<T>): Uint8Array {
  return encoder.encode(JSON.stringify(event));
}

/** Parses JSON bytes (or a string) into an envelope; InvalidEventError when not one. */
export function decodeEvent<T = unknown>(bytes: Uint8Array | string): Envelope<T> {
  const text = typeof bytes === 'string' ? bytes : decoder.decode(bytes);
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (err) {
    throw new InvalidEventError(`event is not valid JSON: ${(err as Error).message}`, { cause: err });
  }
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new InvalidEventError('event is not a JSON object');
  const e = v as Record<string, unknown>;
  for (const field of ['id', 'type', 'time', 'source', 'subject'] as const) {
    if (typeof e[field] !== 'string' || e[field] === '') {
      throw new InvalidEventError(`event field "${field}" must be a non-empty string`);
    }
  }
  if (!('data' in e)) throw new InvalidEventError('event has no "data" field');
  // A malformed trace context is dropped, not fatal: tracing never makes an event unreadable.
  if (e.traceparent !== undefined && typeof e.traceparent !== 'string') delete e.traceparent;
  return e as unknown as Envelope<T>;
}
