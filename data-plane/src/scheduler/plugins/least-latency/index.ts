// least-latency scorer: prefers endpoints whose engine reports lower recent TTFT and time per
// output token. Each metric is min-max normalized over the candidates, then blended by `alpha`.
import type { PluginSpec } from '../../registry.js';
import type { EndpointView, Scorer } from '../../types.js';

export interface LeastLatencyParams {
  /** Weight of TTFT against TPOT in [0,1] (0.5 like Kthena). */
  alpha?: number;
  /** Samples older than this (ms) count as unknown. */
  staleSampleMs?: number;
}

function known(v: number | undefined, e: EndpointView, staleMs: number): number | undefined {
  return v !== undefined && Number.isFinite(v) && v >= 0 && e.sampleAgeMs <= staleMs ? v : undefined;
}

/** 1 for the lowest value, 0 for the highest; unknown values score 1 (optimistic: new endpoints get tried). */
export function minMaxLowIsBest(values: readonly (number | undefined)[]): number[] {
  const ks = values.filter((v): v is number => v !== undefined);
  if (ks.length === 0) return values.map(() => 1);
  const min = Math.min(...ks);
  const max = Math.max(...ks);
  return values.map((v) => (v === undefined || max === min ? 1 : 1 - (v - min) / (max - min)));
}

/** alpha × TTFT score + (1 - alpha) × TPOT score, each min-max normalized. */
export function leastLatencyScores(endpoints: readonly EndpointView[], p: Required<LeastLatencyParams>): number[] {
  const ttft = minMaxLowIsBest(endpoints.map((e) => known(e.ttftMs, e, p.staleSampleMs)));
  const tpot = minMaxLowIsBest(endpoints.map((e) => known(e.tpotMs, e, p.staleSampleMs)));
  return ttft.map((t, i) => p.alpha * t + (1 - p.alpha) * tpot[i]);
}

/** Registry entry of the least-latency scorer (name, params schema, factory). */
export const leastLatency: PluginSpec<'scorer', LeastLatencyParams> = {
  kind: 'scorer',
  name: 'least-latency',
  description: 'lowest recent engine TTFT and TPOT, min-max normalized, blended by alpha',
  paramsSchema: {
    type: 'object',
    additionalProperties: false,
    properties: {
      alpha: { type: 'number', minimum: 0, maximum: 1 },
      staleSampleMs: { type: 'number', minimum: 0 },
    },
  },
  create(params): Scorer {
    const p = { alpha: params.alpha ?? 0.5, staleSampleMs: params.staleSampleMs ?? 10_000 };
    return { name: 'least-latency', score: (_req, endpoints) => leastLatencyScores(endpoints, p) };
  },
};
