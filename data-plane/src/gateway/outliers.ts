// Passive outlier ejection, as Envoy's consecutive-5xx and consecutive-gateway-failure rules
// count it: each gateway watches the outcome of its own attempts, and an endpoint with too many
// failures in a row gets no traffic from this gateway for base × (times ejected), capped.
// Pure state: time comes in; one book per gateway.
import type { RouteOutlierDetection, RouteServer } from '@matrixinfer/events';
import type { EndpointView } from '../scheduler/types.js';

/** The outcome of one attempt, as the rules count it. */
export type AttemptOutcome =
  /** Any answer below 500: resets both streaks. */
  | 'ok'
  /** A 5xx other than 502/503/504. */
  | '5xx'
  /** 502, 503 or 504 from the engine. */
  | 'gateway'
  /** No answer: connection refused or reset, or a stall past the stream-idle timeout. */
  | 'local';

/** The outcome an answer's status counts as (0 or below 500: ok). */
export function outcomeOf(status: number): AttemptOutcome {
  if (status < 500) return 'ok';
  return status === 502 || status === 503 || status === 504 ? 'gateway' : '5xx';
}

/** Every rule with its value; 0 turns a consecutive rule off. */
export interface OutlierPolicy {
  consecutive5xx: number;
  consecutiveGatewayFailure: number;
  baseEjectionTimeMs: number;
  maxEjectionTimeMs: number;
  maxEjectionPercent: number;
}

/** The defaults: Envoy's, except that gateway failures eject (3) and half the pool may go. */
export const DEFAULT_OUTLIER_POLICY: OutlierPolicy = {
  consecutive5xx: 5,
  consecutiveGatewayFailure: 3,
  baseEjectionTimeMs: 10_000,
  maxEjectionTimeMs: 300_000,
  maxEjectionPercent: 50,
};

/** A ModelServer's policy with every absent field defaulted. */
export function outlierPolicyOf(o: RouteOutlierDetection | undefined): OutlierPolicy {
  if (o === undefined) return DEFAULT_OUTLIER_POLICY;
  return {
    consecutive5xx: o.consecutive5xx ?? DEFAULT_OUTLIER_POLICY.consecutive5xx,
    consecutiveGatewayFailure: o.consecutiveGatewayFailure ?? DEFAULT_OUTLIER_POLICY.consecutiveGatewayFailure,
    baseEjectionTimeMs: o.baseEjectionTimeMs ?? DEFAULT_OUTLIER_POLICY.baseEjectionTimeMs,
    maxEjectionTimeMs: o.maxEjectionTimeMs ?? DEFAULT_OUTLIER_POLICY.maxEjectionTimeMs,
    maxEjectionPercent: o.maxEjectionPercent ?? DEFAULT_OUTLIER_POLICY.maxEjectionPercent,
  };
}

/** One ejection, for the log line and the metric. */
export interface Ejection {
  endpoint: string;
  modelServer: string;
  /** `consecutive_5xx` or `consecutive_gateway_failure`. */
  rule: 'consecutive_5xx' | 'consecutive_gateway_failure';
  failures: number;
  /** How long this ejection lasts. */
  durationMs: number;
  /** The how-many-th ejection of this endpoint (the multiplier). */
  times: number;
}

interface EndpointRecord {
  streak5xx: number;
  streakGateway: number;
  /** Ejected until then (0: not ejected). */
  ejectedUntilMs: number;
  /** The multiplier: ejections not yet forgiven. */
  times: number;
  /** When the last ejection ended (for forgiving the multiplier). */
  backAtMs: number;
}

/** The /debug view of one endpoint the book tracks. */
export interface OutlierDebug {
  ejected: boolean;
  ejectedForMs: number;
  times: number;
  streak5xx: number;
  streakGateway: number;
}

/** Outcome streaks and ejections of one gateway's endpoints. */
export class OutlierBook {
  private readonly records = new Map<string, EndpointRecord>();
  /** Endpoints ejected now (or until their time is checked): the fast path skips filtering when 0. */
  private ejectedCount = 0;

  /**
   * Counts one attempt's outcome; returns the ejection it caused, if any. `server` is the
   * attempt's ModelServer (its policy, and its endpoint count for the percent cap).
   */
  observe(server: RouteServer, endpointId: string, outcome: AttemptOutcome, nowMs: number): Ejection | null {
    let r = this.records.get(endpointId);
    if (outcome === 'ok') {
      if (r !== undefined && r.ejectedUntilMs === 0) {
        r.streak5xx = 0;
        r.streakGateway = 0;
        if (r.times === 0) this.records.delete(endpointId);
      }
      return null;
    }
    if (r === undefined) {
      r = { streak5xx: 0, streakGateway: 0, ejectedUntilMs: 0, times: 0, backAtMs: 0 };
      this.records.set(endpointId, r);
    }
    this.expire(r, nowMs);
    if (r.ejectedUntilMs > 0) return null; // already out: a request that was in flight when it went
    // Envoy counts local failures and gateway answers towards both rules.
    r.streak5xx++;
    if (outcome !== '5xx') r.streakGateway++;
    else r.streakGateway = 0;
    const p = outlierPolicyOf(server.trafficPolicy?.outlierDetection);
    let rule: Ejection['rule'] | null = null;
    if (p.consecutiveGatewayFailure > 0 && r.streakGateway >= p.consecutiveGatewayFailure) rule = 'consecutive_gateway_failure';
    else if (p.consecutive5xx > 0 && r.streak5xx >= p.consecutive5xx) rule = 'consecutive_5xx';
    if (rule === null || !this.mayEject(server, endpointId, p, nowMs)) return null;
    const failures = rule === 'consecutive_5xx' ? r.streak5xx : r.streakGateway;
    // The multiplier is forgiven by one for every base interval spent back in service.
    if (r.times > 0 && r.backAtMs > 0) r.times = Math.max(0, r.times - Math.floor((nowMs - r.backAtMs) / Math.max(1, p.baseEjectionTimeMs)));
    r.times++;
    const durationMs = Math.min(p.maxEjectionTimeMs, p.baseEjectionTimeMs * r.times);
    r.ejectedUntilMs = nowMs + durationMs;
    r.streak5xx = 0;
    r.streakGateway = 0;
    this.ejectedCount++;
    return { endpoint: endpointId, modelServer: server.name, rule, failures, durationMs, times: r.times };
  }

  /**
   * Views without the endpoints ejected now; all of them when none would be left, or when a
   * role (prefill, decode) would be left without an endpoint (Envoy's panic).
   */
  filter(views: EndpointView[], nowMs: number): EndpointView[] {
    if (this.ejectedCount === 0) return views;
    let out: EndpointView[] | null = null;
    for (let i = 0; i < views.length; i++) {
      const ejected = this.isEjected(views[i].id, nowMs);
      if (ejected && out === null) out = views.slice(0, i);
      else if (!ejected && out !== null) out.push(views[i]);
    }
    if (out === null) return views;
    if (out.length === 0) return views;
    for (const v of views) if (v.role !== 'both' && !out.some((o) => o.role === v.role)) return views;
    return out;
  }

  /** True while the endpoint is ejected at `nowMs`. */
  isEjected(endpointId: string, nowMs: number): boolean {
    const r = this.records.get(endpointId);
    if (r === undefined || r.ejectedUntilMs === 0) return false;
    this.expire(r, nowMs);
    return r.ejectedUntilMs > 0;
  }

  /** Endpoints ejected at `nowMs` (for the gauge). */
  ejectedNow(nowMs: number): number {
    let n = 0;
    for (const r of this.records.values()) {
      this.expire(r, nowMs);
      if (r.ejectedUntilMs > 0) n++;
    }
    return n;
  }

  /** Forgets endpoints that are in no routing table any more (ids of gone replicas). */
  retain(known: ReadonlySet<string>): void {
    for (const [id, r] of this.records) {
      if (known.has(id)) continue;
      if (r.ejectedUntilMs > 0) this.ejectedCount--;
      this.records.delete(id);
    }
  }

  /** Snapshot for /debug/endpoints. */
  debug(nowMs: number): Record<string, OutlierDebug> {
    const out: Record<string, OutlierDebug> = {};
    for (const [id, r] of this.records) {
      this.expire(r, nowMs);
      out[id] = { ejected: r.ejectedUntilMs > 0, ejectedForMs: r.ejectedUntilMs > 0 ? r.ejectedUntilMs - nowMs : 0, times: r.times, streak5xx: r.streak5xx, streakGateway: r.streakGateway };
    }
    return out;
  }

  private expire(r: EndpointRecord, nowMs: number): void {
    if (r.ejectedUntilMs === 0 || nowMs < r.ejectedUntilMs) return;
    r.ejectedUntilMs = 0;
    r.backAtMs = nowMs;
    this.ejectedCount--;
  }

  // Envoy's cap: eject while fewer than maxEjectionPercent are out (so one is always allowed);
  // ours also never ejects the last endpoint in service.
  private mayEject(server: RouteServer, endpointId: string, p: OutlierPolicy, nowMs: number): boolean {
    const total = server.endpoints.length;
    if (total <= 1) return false;
    let ejected = 0;
    for (const ep of server.endpoints) if (ep.id !== endpointId && this.isEjected(ep.id, nowMs)) ejected++;
    if (ejected + 1 >= total) return false;
    return (ejected * 100) / total < p.maxEjectionPercent;
  }
}
