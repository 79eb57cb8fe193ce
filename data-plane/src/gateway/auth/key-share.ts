// Per-key limits as one budget for all replicas: every `periodMs` a replica publishes what it
// took from each limited key since its last message on `mi.ratelimit.keys` (NATS core, ephemeral,
// like rate-share.ts for global model limits) and takes every peer's consumption out of its own
// buckets. Messages carry key ids only. The overshoot is bounded by what the replicas admit in
// one period before hearing from each other.
import { SUBJECT_ROOT } from '@matrixinfer/events';
import type { Logger } from 'winston';
import type { NatsConnection } from '../nats.js';
import { ShareLoop } from '../share-loop.js';
import type { KeyLimiter } from './key-limits.js';
import type { KeyStore } from './key-store.js';

/** The one subject of per-key consumption. */
export const KEY_SHARE_SUBJECT = `${SUBJECT_ROOT}.ratelimit.keys`;

/** One replica's consumption per key id since its previous message: [requests, tokens]. */
export interface KeyShareMessage {
  v: 1;
  gateway: string;
  keys: Record<string, [number, number]>;
}

const ok = (n: unknown): n is number => typeof n === 'number' && Number.isFinite(n) && n >= 0;

/** Decodes a message; null when it is not one (ignored). */
export function decodeKeyShare(data: Uint8Array): KeyShareMessage | null {
  let m: unknown;
  try {
    m = JSON.parse(new TextDecoder().decode(data));
  } catch {
    return null;
  }
  const o = m as Partial<KeyShareMessage> | null;
  if (!o || typeof o !== 'object' || o.v !== 1 || typeof o.gateway !== 'string' || !o.keys || typeof o.keys !== 'object' || Array.isArray(o.keys)) return null;
  for (const v of Object.values(o.keys)) if (!Array.isArray(v) || v.length !== 2 || !ok(v[0]) || !ok(v[1])) return null;
  return { v: 1, gateway: o.gateway, keys: o.keys };
}

export interface KeyShareOptions {
  nc: NatsConnection;
  gateway: string;
  limiter: KeyLimiter;
  /** The key file in force (peers name keys by id). */
  store: () => KeyStore;
  logger: Logger;
  nowMs: () => number;
  /** Default 100 ms. */
  periodMs?: number;
}

/** Shares per-key consumption with peer replicas until stopped. */
export class KeyShare {
  private readonly loop: ShareLoop<KeyShareMessage>;

  constructor(private readonly o: KeyShareOptions) {
    this.loop = new ShareLoop({
      nc: o.nc,
      gateway: o.gateway,
      subject: KEY_SHARE_SUBJECT,
      periodMs: o.periodMs,
      decode: decodeKeyShare,
      apply: (m) => {
        const store = o.store();
        const now = o.nowMs();
        // Keys this replica does not know (a reload not seen here yet) are skipped.
        for (const [id, [requests, tokens]] of Object.entries(m.keys)) {
          const key = store.byId(id);
          if (key !== undefined) o.limiter.applyPeer(key, requests, tokens, now);
        }
      },
      publish: () => this.send(),
    });
  }

  /** Publishes what this replica took since the last call (also called on stop). */
  publish(): void {
    this.loop.flush();
  }

  private send(): void {
    const { nc, gateway, limiter } = this.o;
    const taken = limiter.drainUnshared();
    if (taken.size === 0) return;
    const keys: Record<string, [number, number]> = {};
    for (const [id, c] of taken) keys[id] = [c.requests, c.tokens];
    const m: KeyShareMessage = { v: 1, gateway, keys };
    try {
      nc.publish(KEY_SHARE_SUBJECT, JSON.stringify(m));
    } catch (err) {
      this.o.logger.warn('could not share per-key consumption', { error: (err as Error).message });
    }
  }

  /** Sends what is left and stops sharing. */
  stop(): void {
    this.loop.stop();
  }
}
