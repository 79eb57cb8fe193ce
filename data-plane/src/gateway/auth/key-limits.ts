// Per-key request and token limits (the key file's rpm and tpm), per gateway replica, on the
// gateway's own TokenBucket (rate-limit.ts). A request takes one request token and its estimated
// prompt tokens at admission; the engine's counts (completion, and prompt beyond the estimate)
// are charged when it ends and may leave the bucket in debt, which blocks until it refills.
// What this replica took is noted for the peers (key-share.ts), whose consumption is taken out
// of these buckets too: all replicas then spend one budget per key.
import { TokenBucket } from '../rate-limit.js';
import type { ApiKey } from './key-store.js';

const MINUTE_MS = 60_000;

interface KeyBuckets {
  rpm: number | undefined;
  tpm: number | undefined;
  requests: TokenBucket | null;
  tokens: TokenBucket | null;
}

/** OpenAI's x-ratelimit-* headers of a key's limits. */
export type RateHeaders = Record<string, string>;

/** Outcome of a key admission check. */
export type KeyAdmission = { ok: true } | { ok: false; limit: 'requests' | 'tokens'; retryAfterS: number; headers: RateHeaders };

const ALLOWED: KeyAdmission = { ok: true };

/** A wait as OpenAI writes its reset headers ("120ms", "7s", "1m3s"). */
export function resetText(ms: number): string {
  if (ms < 1000) return `${Math.max(0, Math.ceil(ms))}ms`;
  const s = Math.ceil(ms / 1000);
  return s < 60 ? `${s}s` : `${Math.floor(s / 60)}m${s % 60}s`;
}

/** What this replica took from one key since it last told its peers. */
export interface KeyConsumption {
  requests: number;
  tokens: number;
}

/** Buckets per key id; a reload that changes a key's limits starts fresh buckets, one that keeps them keeps its spending. */
export class KeyLimiter {
  private readonly byId = new Map<string, KeyBuckets>();
  private readonly unshared = new Map<string, KeyConsumption>();

  private note(id: string, requests: number, tokens: number): void {
    let c = this.unshared.get(id);
    if (!c) {
      c = { requests: 0, tokens: 0 };
      this.unshared.set(id, c);
    }
    c.requests += requests;
    c.tokens += tokens;
  }

  private bucketsOf(key: ApiKey, nowMs: number): KeyBuckets | null {
    if (key.rpm === undefined && key.tpm === undefined) return null;
    let b = this.byId.get(key.id);
    if (!b || b.rpm !== key.rpm || b.tpm !== key.tpm) {
      b = {
        rpm: key.rpm,
        tpm: key.tpm,
        requests: key.rpm === undefined ? null : new TokenBucket(key.rpm, MINUTE_MS, nowMs),
        tokens: key.tpm === undefined ? null : new TokenBucket(key.tpm, MINUTE_MS, nowMs),
      };
      this.byId.set(key.id, b);
    }
    return b;
  }

  /** Whether a request of `tokens` estimated prompt tokens fits now (nothing is taken). */
  check(key: ApiKey, tokens: number, nowMs: number): KeyAdmission {
    const b = this.bucketsOf(key, nowMs);
    if (b === null) return ALLOWED;
    const reqWait = b.requests?.waitMs(1, nowMs) ?? 0;
    // Token debt from earlier answers blocks too: a positive balance is needed, then the estimate.
    const tokWait = b.tokens ? Math.max(b.tokens.waitMs(tokens, nowMs), b.tokens.waitMs(1, nowMs)) : 0;
    if (reqWait === 0 && tokWait === 0) return ALLOWED;
    const limit = reqWait >= tokWait ? 'requests' : 'tokens';
    return { ok: false, limit, retryAfterS: Math.max(1, Math.ceil(Math.max(reqWait, tokWait) / 1000)), headers: this.headers(b, nowMs) };
  }

  /** Takes one request and `tokens` prompt tokens (after check said yes); the x-ratelimit-* headers after it, null for a key without limits. */
  take(key: ApiKey, tokens: number, nowMs: number): RateHeaders | null {
    const b = this.bucketsOf(key, nowMs);
    if (b === null) return null;
    b.requests?.take(1, nowMs);
    if (tokens > 0) b.tokens?.take(tokens, nowMs);
    this.note(key.id, b.requests ? 1 : 0, b.tokens && tokens > 0 ? tokens : 0);
    return this.headers(b, nowMs);
  }

  /** Charges tokens counted after admission (completion, and prompt beyond the estimate). */
  charge(key: ApiKey, tokens: number, nowMs: number): void {
    if (key.tpm === undefined || tokens <= 0) return;
    this.bucketsOf(key, nowMs)?.tokens?.take(tokens, nowMs);
    this.note(key.id, 0, tokens);
  }

  /** What this replica took per key since the last call (then forgotten). */
  drainUnshared(): Map<string, KeyConsumption> {
    const out = new Map(this.unshared);
    this.unshared.clear();
    return out;
  }

  /** Takes a peer replica's consumption of `key` out of this replica's buckets. */
  applyPeer(key: ApiKey, requests: number, tokens: number, nowMs: number): void {
    const b = this.bucketsOf(key, nowMs);
    if (b === null) return;
    if (requests > 0) b.requests?.take(requests, nowMs);
    if (tokens > 0) b.tokens?.take(tokens, nowMs);
  }

  /** x-ratelimit-* headers of the key's limits now. */
  private headers(b: KeyBuckets, nowMs: number): RateHeaders {
    const h: RateHeaders = {};
    for (const [name, bucket] of [['requests', b.requests], ['tokens', b.tokens]] as const) {
      if (bucket === null) continue;
      const left = bucket.available(nowMs);
      h[`x-ratelimit-limit-${name}`] = String(bucket.capacity);
      h[`x-ratelimit-remaining-${name}`] = String(Math.max(0, Math.floor(left)));
      // Until the bucket is full again: what "reset" means for a continuously refilled bucket.
      h[`x-ratelimit-reset-${name}`] = resetText(((bucket.capacity - left) / bucket.capacity) * MINUTE_MS);
    }
    return h;
  }

  /** Tokens and requests left per limited key, for /debug/ratelimits. */
  debug(nowMs: number): Record<string, { requests?: number; tokens?: number }> {
    const out: Record<string, { requests?: number; tokens?: number }> = {};
    for (const [id, b] of this.byId) {
      const row: { requests?: number; tokens?: number } = {};
      if (b.requests) row.requests = Math.floor(b.requests.available(nowMs));
      if (b.tokens) row.tokens = Math.floor(b.tokens.available(nowMs));
      out[id] = row;
    }
    return out;
  }

  /** Forgets keys that are no longer in the file. */
  retain(ids: ReadonlySet<string>): void {
    for (const id of this.byId.keys()) if (!ids.has(id)) this.byId.delete(id);
    for (const id of this.unshared.keys()) if (!ids.has(id)) this.unshared.delete(id);
  }
}
