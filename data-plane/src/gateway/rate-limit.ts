// Token rate limits per model name (RouteEntry.rateLimit), per gateway. Pure token buckets:
// input tokens are estimated (chars/4) and taken before proxying; output tokens are taken from
// the response's usage afterwards and may drive the bucket into debt, which blocks new
// requests until it refills. Time comes in as `nowMs`. A `global` limit is one budget for all
// replicas: each replica notes what it took, rate-share.ts sends that to the peers, and each
// replica takes the peers' consumption out of its own buckets too (applyPeer).
import type { RouteRateLimit } from '@matrixinfer/events';

const UNIT_MS: Record<RouteRateLimit['unit'], number> = {
  second: 1_000,
  minute: 60_000,
  hour: 3_600_000,
  day: 86_400_000,
  month: 2_592_000_000,
};

/** A bucket of `capacity` tokens refilled continuously at capacity per `periodMs`. */
export class TokenBucket {
  readonly capacity: number;
  private readonly perMs: number;
  private tokens: number;
  private lastMs: number;

  constructor(capacity: number, periodMs: number, nowMs: number) {
    this.capacity = capacity;
    this.perMs = capacity / periodMs;
    this.tokens = capacity;
    this.lastMs = nowMs;
  }

  private refill(nowMs: number): void {
    if (nowMs > this.lastMs) {
      this.tokens = Math.min(this.capacity, this.tokens + (nowMs - this.lastMs) * this.perMs);
      this.lastMs = nowMs;
    }
  }

  /** Ms until the bucket holds `n` tokens (0 when it does now); n is capped at capacity. */
  waitMs(n: number, nowMs: number): number {
    this.refill(nowMs);
    const need = Math.min(n, this.capacity) - this.tokens;
    return need <= 0 ? 0 : Math.ceil(need / this.perMs);
  }

  /** Removes `n` tokens unconditionally (may go negative: debt). */
  take(n: number, nowMs: number): void {
    this.refill(nowMs);
    this.tokens -= n;
  }

  /** Tokens available now (negative when in debt). */
  available(nowMs: number): number {
    this.refill(nowMs);
    return this.tokens;
  }
}

interface ModelBuckets {
  config: RouteRateLimit;
  input: TokenBucket | null;
  output: TokenBucket | null;
}

/** Outcome of an admission check: allowed, or refused with seconds to wait. */
export type Admission = { ok: true } | { ok: false; retryAfterS: number };

const ALLOWED: Admission = { ok: true };

/** Tokens one replica took for a globally limited model since it last shared them. */
export interface Consumption {
  model: string;
  input: number;
  output: number;
}

/** Buckets per model name; a changed limit in the routing entry starts fresh buckets. */
export class RateLimiter {
  private readonly models = new Map<string, ModelBuckets>();
  private readonly unshared = new Map<string, Consumption>();

  private note(model: string, input: number, output: number): void {
    let c = this.unshared.get(model);
    if (!c) {
      c = { model, input: 0, output: 0 };
      this.unshared.set(model, c);
    }
    c.input += input;
    c.output += output;
  }

  private bucketsFor(model: string, config: RouteRateLimit, nowMs: number): ModelBuckets {
    let b = this.models.get(model);
    if (!b || b.config !== config) {
      const period = UNIT_MS[config.unit] ?? 1_000;
      b = {
        config,
        input: config.inputTokensPerUnit && config.inputTokensPerUnit > 0 ? new TokenBucket(config.inputTokensPerUnit, period, nowMs) : null,
        output: config.outputTokensPerUnit && config.outputTokensPerUnit > 0 ? new TokenBucket(config.outputTokensPerUnit, period, nowMs) : null,
      };
      this.models.set(model, b);
    }
    return b;
  }

  /** Admits a request of `inputTokens` estimated tokens, taking them from the input bucket. */
  admit(model: string, config: RouteRateLimit | undefined, inputTokens: number, nowMs: number): Admission {
    if (!config) return ALLOWED;
    const b = this.bucketsFor(model, config, nowMs);
    let waitMs = 0;
    if (b.input) waitMs = b.input.waitMs(inputTokens, nowMs);
    // Output debt from earlier responses blocks until the bucket is positive again.
    if (b.output) waitMs = Math.max(waitMs, b.output.waitMs(1, nowMs));
    if (waitMs > 0) return { ok: false, retryAfterS: Math.max(1, Math.ceil(waitMs / 1000)) };
    if (b.input) {
      b.input.take(inputTokens, nowMs);
      if (config.global && inputTokens > 0) this.note(model, inputTokens, 0);
    }
    return ALLOWED;
  }

  /** Charges the output tokens a response reported. */
  charge(model: string, config: RouteRateLimit | undefined, outputTokens: number, nowMs: number): void {
    if (!config || outputTokens <= 0) return;
    const b = this.bucketsFor(model, config, nowMs);
    if (!b.output) return;
    b.output.take(outputTokens, nowMs);
    if (config.global) this.note(model, 0, outputTokens);
  }

  /**
   * Charges input tokens the engine counted beyond the estimate admitted (its usage is exact:
   * the model's own tokenizer). Over-estimates are not refunded.
   */
  chargeInput(model: string, config: RouteRateLimit | undefined, inputTokens: number, nowMs: number): void {
    if (!config || inputTokens <= 0) return;
    const b = this.bucketsFor(model, config, nowMs);
    if (!b.input) return;
    b.input.take(inputTokens, nowMs);
    if (config.global) this.note(model, inputTokens, 0);
  }

  /** Output tokens left now for `model` (Infinity without an output limit; negative in debt). */
  outputAvailable(model: string, config: RouteRateLimit | undefined, nowMs: number): number {
    if (!config) return Infinity;
    const b = this.bucketsFor(model, config, nowMs);
    return b.output ? b.output.available(nowMs) : Infinity;
  }

  /** What this replica took for global limits since the last call (then forgotten). */
  drainUnshared(): Consumption[] {
    const out = [...this.unshared.values()];
    this.unshared.clear();
    return out;
  }

  /** Takes a peer replica's consumption out of this replica's buckets (global limits only). */
  applyPeer(model: string, config: RouteRateLimit | undefined, input: number, output: number, nowMs: number): void {
    if (!config?.global) return;
    const b = this.bucketsFor(model, config, nowMs);
    if (input > 0) b.input?.take(input, nowMs);
    if (output > 0) b.output?.take(output, nowMs);
  }

  /** Tokens left per limited model (negative: debt), for /debug/ratelimits. */
  debug(nowMs: number): Record<string, { unit: string; global: boolean; input?: number; output?: number }> {
    const out: Record<string, { unit: string; global: boolean; input?: number; output?: number }> = {};
    for (const [m, b] of this.models) {
      const row: { unit: string; global: boolean; input?: number; output?: number } = { unit: b.config.unit, global: b.config.global === true };
      if (b.input) row.input = Math.floor(b.input.available(nowMs));
      if (b.output) row.output = Math.floor(b.output.available(nowMs));
      out[m] = row;
    }
    return out;
  }

  /** Forgets models that are no longer routable. */
  retain(has: (model: string) => boolean): void {
    for (const m of this.models.keys()) if (!has(m)) this.models.delete(m);
    for (const m of this.unshared.keys()) if (!has(m)) this.unshared.delete(m);
  }
}
