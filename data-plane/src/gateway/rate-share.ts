// Global token rate limits: every `periodMs` a replica publishes, per globally limited model, the
// tokens it took since its last message on `mi.ratelimit.gateway.<namespace>.<model>` (NATS core:
// ephemeral, like the in-flight counts), and takes every peer's tokens out of its own buckets.
// All replicas then spend one budget; the overshoot is bounded by what the replicas admit in one
// period before hearing from each other (the README states the bound).
import { isSubjectToken, SUBJECT_ROOT } from '@matrixinfer/events';
import type { Logger } from 'winston';
import type { NatsConnection } from './nats.js';
import { ShareLoop } from './share-loop.js';
import type { RateLimiter } from './rate-limit.js';
import type { TableHolder } from './route-watcher.js';

/** `mi.ratelimit.gateway.<namespace>.<model>`. */
export function rateShareSubject(namespace: string, model: string): string {
  return `${SUBJECT_ROOT}.ratelimit.gateway.${namespace}.${model}`;
}

/** One replica's consumption of one model's global budget since its previous message. */
export interface RateShareMessage {
  v: 1;
  gateway: string;
  model: string;
  input: number;
  output: number;
}

/** Decodes a message; null when it is not one (ignored). */
export function decodeRateShare(data: Uint8Array): RateShareMessage | null {
  let m: unknown;
  try {
    m = JSON.parse(new TextDecoder().decode(data));
  } catch {
    return null;
  }
  const o = m as Partial<RateShareMessage> | null;
  if (!o || typeof o !== 'object' || o.v !== 1 || typeof o.gateway !== 'string' || typeof o.model !== 'string') return null;
  const ok = (n: unknown): n is number => typeof n === 'number' && Number.isFinite(n) && n >= 0;
  if (!ok(o.input) || !ok(o.output)) return null;
  return { v: 1, gateway: o.gateway, model: o.model, input: o.input, output: o.output };
}

export interface RateShareOptions {
  nc: NatsConnection;
  gateway: string;
  limiter: RateLimiter;
  holder: TableHolder;
  logger: Logger;
  nowMs: () => number;
  /** How often consumption is published (default 100 ms). */
  periodMs?: number;
}

/** Shares global rate-limit consumption with peer replicas until stopped. */
export class RateShare {
  private readonly loop: ShareLoop<RateShareMessage>;

  constructor(private readonly o: RateShareOptions) {
    this.loop = new ShareLoop({
      nc: o.nc,
      gateway: o.gateway,
      subject: `${SUBJECT_ROOT}.ratelimit.gateway.>`,
      periodMs: o.periodMs,
      decode: decodeRateShare,
      apply: (m) => {
        const held = o.holder.table.entries.get(m.model);
        o.limiter.applyPeer(m.model, held?.entry.rateLimit, m.input, m.output, o.nowMs());
      },
      publish: () => this.send(),
    });
  }

  /** Publishes what this replica took since the last call (also called on stop). */
  publish(): void {
    this.loop.flush();
  }

  private send(): void {
    const { nc, gateway, limiter, holder } = this.o;
    for (const c of limiter.drainUnshared()) {
      const ns = holder.table.entries.get(c.model)?.entry.namespace;
      if (ns === undefined || !isSubjectToken(c.model) || !isSubjectToken(ns)) continue;
      const m: RateShareMessage = { v: 1, gateway, model: c.model, input: c.input, output: c.output };
      try {
        nc.publish(rateShareSubject(ns, c.model), JSON.stringify(m));
      } catch (err) {
        this.o.logger.warn('could not share rate-limit consumption', { model: c.model, error: (err as Error).message });
      }
    }
  }

  /** Sends what is left and stops sharing. */
  stop(): void {
    this.loop.stop();
  }
}
