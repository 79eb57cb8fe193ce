// kv-cache scorer: prefers endpoints with free KV cache (1 - engine-reported usage), since a full
// cache means queueing and preemption. An endpoint with no recent sample scores as empty.
import type { PluginSpec } from '../../registry.js';
import type { EndpointView, Scorer } from '../../types.js';

export interface KvCacheParams {
  /** Samples older than this (ms) count as unknown (scored as free). */
  staleSampleMs?: number;
}

/** 1 - kvUsage per endpoint (usage clamped to [0,1]; stale or unknown usage counts as 0). */
export function kvCacheScores(endpoints: readonly EndpointView[], staleSampleMs: number): number[] {
  return endpoints.map((e) => {
    if (!(e.sampleAgeMs <= staleSampleMs) || !Number.isFinite(e.kvUsage)) return 1;
    return 1 - Math.min(1, Math.max(0, e.kvUsage));
  });
}

/** Registry entry of the kv-cache scorer (name, params schema, factory). */
export const kvCache: PluginSpec<'scorer', KvCacheParams> = {
  kind: 'scorer',
  name: 'kv-cache',
  description: 'free KV cache: 1 - engine KV usage',
  paramsSchema: {
    type: 'object',
    additionalProperties: false,
    properties: { staleSampleMs: { type: 'number', minimum: 0 } },
  },
  create(params): Scorer {
    const stale = params.staleSampleMs ?? 10_000;
    return { name: 'kv-cache', score: (_req, endpoints) => kvCacheScores(endpoints, stale) };
  },
};
