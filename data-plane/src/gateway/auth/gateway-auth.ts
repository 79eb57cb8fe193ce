// API keys of one gateway replica: the followed key file, the per-key limiter, the admin gate
// and the auth metrics, built once in gateway.ts. Without --api-keys there is no GatewayAuth
// for requests (the gateway is open, as before), but the admin gate still applies.
import type { IncomingMessage } from 'node:http';
import { Counter, type Registry } from 'prom-client';
import type { Logger } from 'winston';
import { adminUnauthorized, invalidApiKey, keyRateLimited, type GatewayError } from '../errors.js';
import { adminAccess, isLoopbackHost, tokenDigest, type AdminAccess, type AdminPolicy } from './admin-gate.js';
import { authenticate, type AuthRefusal } from './authenticate.js';
import { openKeyFile, type KeyFile } from './key-file.js';
import { KeyLimiter, type RateHeaders } from './key-limits.js';
import { KeyShare } from './key-share.js';
import type { NatsConnection } from '../nats.js';
import type { ApiKey, KeyStore } from './key-store.js';

export interface GatewayAuthOptions {
  /** Key file (`--api-keys`); absent: requests need no key. */
  apiKeysFile?: string;
  /** Admin token (`--admin-token`); absent: admin keys only, or the loopback rule. */
  adminToken?: string;
  /** Listen address: decides whether admin endpoints are open when no credential is configured. */
  host: string;
  /** Open admin endpoints without a credential on a loopback listener. Default true; false behind a local reverse proxy. */
  openDebugOnLoopback?: boolean;
  logger: Logger;
  registry: Registry;
  nowMs: () => number;
  /** Re-read period of the key file (key-file.ts). */
  keyFilePeriodMs?: number;
}

/** Refusal reasons counted by mi_gateway_auth_refusals_total. */
export type RefusalLabel = AuthRefusal | 'model_not_allowed' | 'rate_limited';

/** Keys, limits and the admin gate of one replica. */
export class GatewayAuth {
  /** Null without --api-keys. */
  private readonly file: KeyFile | null;
  readonly limits = new KeyLimiter();
  private readonly policy: AdminPolicy;
  private readonly refusals: Counter<'reason'>;
  private readonly perKey: Counter<'key'>;
  private readonly reloads: Counter<'result'>;
  private readonly perKeyChild = new Map<string, { inc(): void }>();
  private readonly refusalChild = new Map<RefusalLabel, { inc(): void }>();
  private readonly nowMs: () => number;
  private readonly logger: Logger;
  private sharing: KeyShare | null = null;

  constructor(o: GatewayAuthOptions) {
    this.nowMs = o.nowMs;
    this.logger = o.logger;
    const registers = [o.registry];
    this.refusals = new Counter({ name: 'mi_gateway_auth_refusals_total', help: 'Requests refused by API key checks, by reason', labelNames: ['reason'], registers });
    // Bounded: one series per key of the file (removed keys are dropped on reload).
    this.perKey = new Counter({ name: 'mi_gateway_key_requests_total', help: 'Requests admitted per API key id', labelNames: ['key'], registers });
    this.reloads = new Counter({ name: 'mi_gateway_api_key_loads_total', help: 'Loads of the API key file: applied, or rejected (the last good set stays)', labelNames: ['result'], registers });
    this.policy = { tokenDigest: o.adminToken ? tokenDigest(o.adminToken) : null, loopback: o.openDebugOnLoopback !== false && isLoopbackHost(o.host) };
    this.file = o.apiKeysFile === undefined ? null : openKeyFile({ path: o.apiKeysFile, logger: o.logger, periodMs: o.keyFilePeriodMs, onLoad: (s) => this.onLoad(s), onReject: () => this.reloads.labels('rejected').inc() });
    if (this.file === null) o.logger.warn('no --api-keys: the OpenAI endpoints accept every request without a key (docs/security.md)');
    if (this.policy.tokenDigest === null && !this.policy.loopback && this.file?.current().hasAdminKey !== true) {
      o.logger.warn('no admin credential and not a loopback-only listener: /debug/* is off (set --admin-token or an admin key)', { host: o.host });
    }
  }

  /** Whether requests need a key. */
  get enabled(): boolean {
    return this.file !== null;
  }

  private onLoad(store: KeyStore): void {
    this.reloads.labels('applied').inc();
    const ids = new Set(store.keys().map((k) => k.id));
    this.limits.retain(ids);
    for (const id of this.perKeyChild.keys()) {
      if (ids.has(id)) continue;
      this.perKeyChild.delete(id);
      this.perKey.remove(id);
    }
  }

  /** Counts a refusal. */
  refused(reason: RefusalLabel): void {
    let c = this.refusalChild.get(reason);
    if (!c) {
      c = this.refusals.labels(reason);
      this.refusalChild.set(reason, c);
    }
    c.inc();
  }

  /** The request's key, or the 401 to answer; null when the gateway runs without keys. */
  keyOf(req: IncomingMessage): ApiKey | GatewayError | null {
    if (this.file === null) return null;
    const a = authenticate(this.file.current(), req.headers.authorization, this.nowMs());
    if (a.ok) return a.key;
    this.refused(a.reason);
    return invalidApiKey(a.reason);
  }

  /** The 429 when the key's rpm or tpm is spent for a request of `tokens` estimated prompt tokens; null when it fits. */
  checkKey(key: ApiKey, tokens: number, nowMs: number): GatewayError | null {
    const a = this.limits.check(key, tokens, nowMs);
    if (a.ok) return null;
    this.refused('rate_limited');
    return keyRateLimited(key.id, a.limit, a.retryAfterS, a.headers);
  }

  /** Takes an admitted request from the key's limits and counts it; the x-ratelimit-* headers of the answer (null: the key has no limits). */
  takeKey(key: ApiKey, tokens: number, nowMs: number): RateHeaders | null {
    const headers = this.limits.take(key, tokens, nowMs);
    let c = this.perKeyChild.get(key.id);
    if (!c) {
      c = this.perKey.labels(key.id);
      this.perKeyChild.set(key.id, c);
    }
    c.inc();
    return headers;
  }

  /** Decision for an admin endpoint; the 401 comes from adminError(). */
  admin(req: IncomingMessage): AdminAccess {
    return adminAccess(this.policy, this.file?.current() ?? null, req.headers.authorization, this.nowMs());
  }

  /** The 401 of an admin endpoint. */
  adminError(): GatewayError {
    return adminUnauthorized();
  }

  /** Limits left per key, for /debug/ratelimits. */
  debug(): { keys: number; limits: ReturnType<KeyLimiter['debug']> } {
    return { keys: this.file?.current().size ?? 0, limits: this.limits.debug(this.nowMs()) };
  }

  /** Makes the per-key limits one budget with the peer replicas on `nc` (no-op without keys). */
  shareWithPeers(nc: NatsConnection, gateway: string, periodMs?: number): void {
    const file = this.file;
    if (file === null || this.sharing !== null) return;
    this.sharing = new KeyShare({ nc, gateway, limiter: this.limits, store: () => file.current(), logger: this.logger, nowMs: this.nowMs, periodMs });
  }

  /** Stops sharing (sending what is left) and following the key file. */
  close(): void {
    this.sharing?.stop();
    this.sharing = null;
    this.file?.close();
  }
}
