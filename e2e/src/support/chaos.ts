// Shared pieces of the chaos and replay suites: the short/full switch, the figures a suite
// prints, a digest of a stream's stored events (to show data survived), and a seeded RNG.
import { createHash } from 'node:crypto';
import { jetstreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import { STREAMS, stableStringify, type StreamKey } from '@matrixinfer/events';
import { readStream } from './nats.js';
import type { StreamResult } from './stream-load.js';

/** True when the full forms run (`npm run test:chaos` / `test:replay` set MI_CHAOS_FULL=1). */
export function chaosFull(env: Record<string, string | undefined> = process.env): boolean {
  return env.MI_CHAOS_FULL === '1';
}

/** An integer knob: env `name` when set, else `full` or `short` by the chaosFull switch. */
export function chaosKnob(name: string, short: number, full: number, env: Record<string, string | undefined> = process.env): number {
  const v = env[name];
  if (v !== undefined && v.trim() !== '') {
    const n = Number(v);
    if (!Number.isFinite(n) || n < 0) throw new RangeError(`${name} must be a non-negative number, got ${JSON.stringify(v)}`);
    return n;
  }
  return chaosFull(env) ? full : short;
}

/** Prints one figures line of a suite (the lines docs/reliability.md quotes). */
export function printFigures(suite: string, figures: Record<string, unknown>): void {
  const parts = Object.entries(figures).map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`);
  process.stdout.write(`      [${suite}] ${parts.join(' ')}\n`);
}

/** Counts of a load run as a client saw them. */
export interface LoadFigures {
  requests: number;
  whole: number;
  /** Not whole and never started streaming: the requests that must never fail. */
  failedBeforeStreaming: number;
  /** Started streaming, then broke. */
  brokenMidStream: number;
  p50Ms: number;
  p99Ms: number;
}

/** The figures of a set of stream results. */
export function loadFigures(rs: StreamResult[]): LoadFigures {
  const d = rs.map((r) => r.durationMs).sort((a, b) => a - b);
  const q = (p: number) => (d.length === 0 ? 0 : d[Math.min(d.length - 1, Math.floor(p * d.length))]);
  return {
    requests: rs.length,
    whole: rs.filter((r) => r.whole).length,
    failedBeforeStreaming: rs.filter((r) => !r.whole && !r.started).length,
    brokenMidStream: rs.filter((r) => !r.whole && r.started).length,
    p50Ms: q(0.5),
    p99Ms: q(0.99),
  };
}

/** What a stream holds: message count, last sequence, and a sha256 of every event up to `untilSeq` (default: all). */
export interface StreamDigest {
  messages: number;
  lastSeq: number;
  digestedUpTo: number;
  sha256: string;
}

/** Digests one stream (see StreamDigest); the hash covers sequence, subject and canonical envelope of each event. */
export async function streamDigest(nc: NatsConnection, stream: StreamKey, untilSeq?: number): Promise<StreamDigest> {
  const jsm = await jetstreamManager(nc);
  const { state } = await jsm.streams.info(STREAMS[stream]);
  const upTo = untilSeq ?? state.last_seq;
  const h = createHash('sha256');
  let last = 0;
  if (state.messages > 0) {
    for (const ev of await readStream(nc, stream)) {
      if (ev.seq > upTo) break;
      h.update(`${ev.seq} ${ev.subject} ${stableStringify(ev.envelope)}\n`);
      last = ev.seq;
    }
  }
  return { messages: state.messages, lastSeq: state.last_seq, digestedUpTo: last, sha256: h.digest('hex') };
}

/** sha256 hex of a value's canonical JSON (keys sorted). */
export function canonicalHash(value: unknown): string {
  return createHash('sha256').update(stableStringify(value)).digest('hex');
}
