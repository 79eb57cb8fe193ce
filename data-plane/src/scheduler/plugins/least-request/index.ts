// least-request scorer: prefers the endpoint with the fewest requests outstanding, counting
// engine-queued requests extra because a queue means the engine is already saturated.
import type { PluginSpec } from '../../registry.js';
import type { EndpointView, Scorer } from '../../types.js';

export interface LeastRequestParams {
  /** Extra weight of each engine-reported waiting request (on top of in-flight). */
  waitingWeight?: number;
  /** Engine samples older than this (ms) are ignored: only the gateway's in-flight count is used. */
  staleSampleMs?: number;
}

/** Estimated load of an endpoint: in-flight + waitingWeight × waiting (waiting ignored if stale). */
export function requestLoad(e: EndpointView, waitingWeight: number, staleSampleMs: number): number {
  const waiting = e.sampleAgeMs <= staleSampleMs ? Math.max(0, e.waiting) : 0;
  return Math.max(0, e.inFlight) + waitingWeight * waiting;
}

/** Scores each endpoint (min load + 1) / (load + 1): the least loaded gets 1, twice its load ~½. */
export function leastRequestScores(endpoints: readonly EndpointView[], p: Required<LeastRequestParams>): number[] {
  const loads = endpoints.map((e) => requestLoad(e, p.waitingWeight, p.staleSampleMs));
  const min = Math.min(...loads);
  return loads.map((l) => (min + 1) / (l + 1));
}

/** Registry entry of the least-request scorer (name, params schema, factory). */
export const leastRequest: PluginSpec<'scorer', LeastRequestParams> = {
  kind: 'scorer',
  name: 'least-request',
  description: 'fewest outstanding requests (in-flight + weighted engine queue), ratio-normalized',
  paramsSchema: {
    type: 'object',
    additionalProperties: false,
    properties: {
      waitingWeight: { type: 'number', minimum: 0, maximum: 1000 },
      staleSampleMs: { type: 'number', minimum: 0 },
    },
  },
  create(params): Scorer {
    const p = { waitingWeight: params.waitingWeight ?? 4, staleSampleMs: params.staleSampleMs ?? 10_000 };
    return { name: 'least-request', score: (_req, endpoints) => leastRequestScores(endpoints, p) };
  },
};
