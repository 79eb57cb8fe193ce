// Gateway replicas decide as one: each replica shares, over NATS core pub/sub (not captured by
// any stream: the data is ephemeral),
// - its prefix-cache placements on `mi.placements.gateway.<ns>.<model>` (published by the prefix
//   index's onPlacement, applied by peers with applyPeerPlacement), and
// - its per-endpoint in-flight counts on `mi.inflight.gateway.<gateway>` every `periodMs` while
//   it has any (once more at zero), summed by peers into EndpointView.inFlight.
// Peers that stop publishing are forgotten after `peerTtlMs`.
import { DEFAULT_NAMESPACE, isSubjectToken, SUBJECT_ROOT } from '@matrixinfer/events';
import type { Logger } from 'winston';
import { applyPeerPlacement, encodePlacement, type Placement, type PrefixIndex } from '../scheduler/index.js';
import type { LoadBook } from './load.js';
import type { NatsConnection } from './nats.js';
import type { TableHolder } from './route-watcher.js';
import type { SchedulerMetrics } from './scheduler-metrics.js';

/** `mi.placements.gateway.<namespace>.<model>`. */
export function placementSubject(namespace: string, model: string): string {
  return `${SUBJECT_ROOT}.placements.gateway.${namespace}.${model}`;
}

/** `mi.inflight.gateway.<gateway>`. */
export function inflightSubject(gateway: string): string {
  return `${SUBJECT_ROOT}.inflight.gateway.${gateway}`;
}

/** In-flight message of one replica: its own counts by endpoint id (absent = 0). */
export interface InflightMessage {
  v: 1;
  gateway: string;
  timeMs: number;
  inFlight: Record<string, number>;
}

/** Decodes an in-flight message; null when it is not one (ignored, counted invalid). */
export function decodeInflight(data: Uint8Array | string): InflightMessage | null {
  let m: unknown;
  try {
    m = JSON.parse(typeof data === 'string' ? data : new TextDecoder().decode(data));
  } catch {
    return null;
  }
  const o = m as Partial<InflightMessage> | null;
  if (!o || typeof o !== 'object' || o.v !== 1 || typeof o.gateway !== 'string' || typeof o.inFlight !== 'object' || o.inFlight === null) return null;
  for (const n of Object.values(o.inFlight)) if (!(Number.isInteger(n) && n >= 0)) return null;
  return { v: 1, gateway: o.gateway, timeMs: Number(o.timeMs) || 0, inFlight: o.inFlight };
}

/** Pure fold of peers' latest counts: which peers are alive, and their per-endpoint sum. */
export class PeerInflightBook {
  private readonly peers = new Map<string, { counts: Record<string, number>; receivedMs: number }>();

  /** Stores a peer's latest counts. */
  update(m: InflightMessage, nowMs: number): void {
    if (Object.keys(m.inFlight).length === 0) this.peers.delete(m.gateway);
    else this.peers.set(m.gateway, { counts: m.inFlight, receivedMs: nowMs });
  }

  /** Forgets peers silent for longer than `ttlMs`; true when one was dropped. */
  expire(nowMs: number, ttlMs: number): boolean {
    let dropped = false;
    for (const [g, p] of this.peers) {
      if (nowMs - p.receivedMs > ttlMs) {
        this.peers.delete(g);
        dropped = true;
      }
    }
    return dropped;
  }

  /** Sum over live peers, per endpoint (a new map). */
  totals(): Map<string, number> {
    const out = new Map<string, number>();
    for (const p of this.peers.values()) for (const [id, n] of Object.entries(p.counts)) out.set(id, (out.get(id) ?? 0) + n);
    return out;
  }

  /** Age in ms of each live peer's last message (debug). */
  ages(nowMs: number): Record<string, number> {
    const out: Record<string, number> = {};
    for (const [g, p] of this.peers) out[g] = nowMs - p.receivedMs;
    return out;
  }
}

export interface PeerSyncOptions {
  nc: NatsConnection;
  gateway: string;
  load: LoadBook;
  holder: TableHolder;
  metrics: SchedulerMetrics;
  logger: Logger;
  /** In-flight publishing period. Default 200 ms. */
  periodMs?: number;
  /** A peer silent this long is forgotten. Default max(1000, 5 × periodMs). */
  peerTtlMs?: number;
  nowMs?: () => number;
}

/** Wires one replica to its peers; `onPlacement` goes into createPrefixIndex, `attach` once the index exists. */
export class PeerSync {
  private readonly opts: PeerSyncOptions;
  private readonly book = new PeerInflightBook();
  private readonly nowMs: () => number;
  private readonly ttlMs: number;
  private index: PrefixIndex | null = null;
  private subs: Array<{ unsubscribe(): void }> = [];
  private timer: NodeJS.Timeout | null = null;
  private sentNonEmpty = false;
  /** Bound once: PrefixIndexOptions.onPlacement. */
  readonly onPlacement: (p: Placement) => void;

  constructor(opts: PeerSyncOptions) {
    this.opts = opts;
    this.nowMs = opts.nowMs ?? Date.now;
    const period = opts.periodMs ?? 200;
    this.ttlMs = opts.peerTtlMs ?? Math.max(1000, 5 * period);
    this.onPlacement = (p: Placement): void => this.publishPlacement(p);
  }

  /** Subscribes to peers and starts publishing; placements are applied into `index`. */
  start(index: PrefixIndex): void {
    this.index = index;
    const { nc } = this.opts;
    this.subs.push(
      nc.subscribe(`${SUBJECT_ROOT}.placements.gateway.>`, {
        callback: (err, msg) => {
          if (err || this.index === null) return;
          try {
            if (applyPeerPlacement(this.index, msg.data, this.opts.gateway)) this.opts.metrics.peerMessage('placement', 'applied');
          } catch {
            this.opts.metrics.peerMessage('placement', 'invalid');
          }
        },
      }),
      nc.subscribe(`${SUBJECT_ROOT}.inflight.gateway.*`, {
        callback: (err, msg) => {
          if (err) return;
          const m = decodeInflight(msg.data);
          if (m === null) return this.opts.metrics.peerMessage('inflight', 'invalid');
          if (m.gateway === this.opts.gateway) return;
          this.book.update(m, this.nowMs());
          this.opts.load.setPeerInFlight(this.book.totals());
          this.opts.metrics.peerMessage('inflight', 'applied');
        },
      }),
    );
    this.timer = setInterval(() => this.tick(), this.opts.periodMs ?? 200);
    this.timer.unref();
  }

  /** Publishes own counts (while any, and once at zero) and forgets silent peers. */
  tick(): void {
    const now = this.nowMs();
    if (this.book.expire(now, this.ttlMs)) this.opts.load.setPeerInFlight(this.book.totals());
    const own = this.opts.load.ownInFlight();
    if (own.size === 0 && !this.sentNonEmpty) return;
    this.sentNonEmpty = own.size > 0;
    const { nc, gateway } = this.opts;
    if (nc.isClosed()) return;
    const msg: InflightMessage = { v: 1, gateway, timeMs: now, inFlight: Object.fromEntries(own) };
    try {
      nc.publish(inflightSubject(gateway), JSON.stringify(msg));
      this.opts.metrics.peerMessage('inflight', 'sent');
    } catch (err) {
      this.opts.logger.warn('in-flight counts not published', { error: (err as Error).message });
    }
  }

  /** Live peers and the age of their last in-flight message (debug). */
  peers(): Record<string, number> {
    return this.book.ages(this.nowMs());
  }

  /** Stops publishing and unsubscribes. */
  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    for (const s of this.subs) s.unsubscribe();
    this.subs = [];
    this.index = null;
  }

  private publishPlacement(p: Placement): void {
    const { nc, holder, gateway } = this.opts;
    if (nc.isClosed() || p.model === undefined || !isSubjectToken(p.model)) return;
    const namespace = holder.table.entries.get(p.model)?.entry.namespace ?? DEFAULT_NAMESPACE;
    try {
      nc.publish(placementSubject(namespace, p.model), encodePlacement(gateway, p));
      this.opts.metrics.peerMessage('placement', 'sent');
    } catch (err) {
      this.opts.logger.warn('placement not published', { error: (err as Error).message });
    }
  }
}
