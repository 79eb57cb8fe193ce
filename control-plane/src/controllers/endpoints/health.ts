// Active health of one endpoint after it became ready: consecutive probe results against the
// thresholds, as Envoy's active health checking counts them. Pure.

/** How an endpoint is probed; per ModelServer (`trafficPolicy.healthCheck`), else the defaults. */
export interface HealthPolicy {
  intervalMs: number;
  timeoutMs: number;
  /** Failed probes in a row that take a healthy endpoint out of the routing table. */
  unhealthyThreshold: number;
  /** Passed probes in a row that bring it back. */
  healthyThreshold: number;
}

/**
 * Defaults: an endpoint that stops answering is out after two probes, at most
 * interval + 2 × timeout + interval = 2.5 s after its last answer (the 3 s bound of #16).
 */
export const DEFAULT_HEALTH: HealthPolicy = { intervalMs: 1000, timeoutMs: 500, unhealthyThreshold: 2, healthyThreshold: 2 };

/** Counters of one endpoint run. A ready endpoint starts healthy: its readiness probe passed. */
export interface HealthState {
  healthy: boolean;
  /** Failures in a row (while healthy) or passes in a row (while unhealthy). */
  streak: number;
}

/** The state of a run that was just observed ready. */
export function initialHealth(): HealthState {
  return { healthy: true, streak: 0 };
}

/** Folds one probe result; `flipped` says the endpoint changed side, with the reason in words. */
export function foldProbe(s: HealthState, ok: boolean, detail: string, p: HealthPolicy): { state: HealthState; flipped: boolean; reason: string } {
  if (s.healthy) {
    if (ok) return { state: { healthy: true, streak: 0 }, flipped: false, reason: '' };
    const streak = s.streak + 1;
    if (streak >= p.unhealthyThreshold) {
      return { state: { healthy: false, streak: 0 }, flipped: true, reason: `unhealthy: ${streak} health probes in a row failed (last: ${detail})` };
    }
    return { state: { healthy: true, streak }, flipped: false, reason: '' };
  }
  if (!ok) return { state: { healthy: false, streak: 0 }, flipped: false, reason: '' };
  const streak = s.streak + 1;
  if (streak >= p.healthyThreshold) return { state: { healthy: true, streak: 0 }, flipped: true, reason: `healthy again: ${streak} health probes in a row passed` };
  return { state: { healthy: false, streak }, flipped: false, reason: '' };
}

/** Checks a policy; the problems in words (empty when valid). */
export function healthPolicyProblems(p: HealthPolicy): string[] {
  const out: string[] = [];
  if (!(p.intervalMs > 0)) out.push(`interval must be > 0, got ${p.intervalMs} ms`);
  if (!(p.timeoutMs > 0)) out.push(`timeout must be > 0, got ${p.timeoutMs} ms`);
  if (!Number.isInteger(p.unhealthyThreshold) || p.unhealthyThreshold < 1) out.push(`unhealthyThreshold must be an integer >= 1, got ${p.unhealthyThreshold}`);
  if (!Number.isInteger(p.healthyThreshold) || p.healthyThreshold < 1) out.push(`healthyThreshold must be an integer >= 1, got ${p.healthyThreshold}`);
  return out;
}
