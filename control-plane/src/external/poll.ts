// The pure part of one poll tick: each binding's sample from the outcomes of its queries.
import type { ExternalQueryResult, ExternalSample } from '@matrixinfer/events';
import { EXTERNAL_ERROR_CODES } from './errors.js';
import type { QueryOutcome } from './result.js';
import type { PollTarget } from './targets.js';

/** What a query "returns" when the control plane has no Prometheus URL: an error that says so. */
export const NOT_CONFIGURED: QueryOutcome = {
  error: { code: EXTERNAL_ERROR_CODES.notConfigured, message: 'the Prometheus URL is not configured: start the control plane with --prometheus-url URL (env MI_PROMETHEUS_URL)' },
};

/** The sample of `target` at `timeMs`: one result per query, a missing outcome being an error too (never left out). */
export function sampleOf(target: PollTarget, outcomes: ReadonlyMap<string, QueryOutcome>, timeMs: number): ExternalSample {
  const results: ExternalQueryResult[] = target.queries.map((q) => {
    const o = outcomes.get(q.query) ?? { error: { code: EXTERNAL_ERROR_CODES.noSample, message: 'the query was not evaluated at this tick' } };
    return 'value' in o ? { metricName: q.metricName, query: q.query, value: o.value } : { metricName: q.metricName, query: q.query, error: o.error };
  });
  return { binding: target.binding, policy: target.policy, timeMs, results };
}

/** Queries whose outcome kind changed since `before` (for logging a failure or recovery once, not every tick). */
export function changedOutcomes(before: ReadonlyMap<string, string>, outcomes: ReadonlyMap<string, QueryOutcome>): { query: string; now: string; outcome: QueryOutcome }[] {
  const out: { query: string; now: string; outcome: QueryOutcome }[] = [];
  for (const [query, outcome] of outcomes) {
    const now = 'value' in outcome ? 'ok' : outcome.error.code;
    if (before.get(query) !== now) out.push({ query, now, outcome });
  }
  return out;
}
