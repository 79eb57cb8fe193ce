// max-score picker: orders candidates by weighted total, best first; ties are broken at random
// from the request's own draw, so equal endpoints share load and tests stay deterministic.
import type { PluginSpec } from '../../registry.js';
import { rngFrom } from '../../rng.js';
import type { Picker, RequestInfo, ScoredEndpoint } from '../../types.js';

export interface MaxScoreParams {
  /** Keep at most this many candidates (the rest are not tried); all by default. */
  maxCandidates?: number;
}

/** Totals closer than this are a tie (floating-point sums of weighted scores). */
const EPSILON = 1e-9;

/** Orders `scored` by total descending, random among ties, truncated to `max`. */
export function orderByScore(req: RequestInfo, scored: readonly ScoredEndpoint[], max: number): ScoredEndpoint[] {
  const rng = rngFrom(req.random, 7);
  const keyed = scored.map((s) => ({ s, tie: rng() }));
  keyed.sort((a, b) => (Math.abs(b.s.total - a.s.total) > EPSILON ? b.s.total - a.s.total : a.tie - b.tie));
  return keyed.slice(0, max).map((k) => k.s);
}

/** Registry entry of the max-score picker (name, params schema, factory). */
export const maxScore: PluginSpec<'picker', MaxScoreParams> = {
  kind: 'picker',
  name: 'max-score',
  description: 'highest weighted total first, random tie-break, all (or top N) as failover order',
  paramsSchema: {
    type: 'object',
    additionalProperties: false,
    properties: { maxCandidates: { type: 'integer', minimum: 1, maximum: 1024 } },
  },
  create(params): Picker {
    const max = params.maxCandidates ?? Number.MAX_SAFE_INTEGER;
    return { name: 'max-score', pick: (req, scored) => orderByScore(req, scored, max) };
  },
};
